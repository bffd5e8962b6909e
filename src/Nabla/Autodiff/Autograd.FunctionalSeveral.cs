using Nabla.Engine;

namespace Nabla;

/// <summary>
/// torch.autograd.functional with several inputs and outputs. As in PyTorch: the inputs are differentiated
/// through private copies (the caller's graph is kept only with <c>createGraph</c>), results are cut from the
/// graph unless <c>createGraph</c>, an input no output depends on gets zeros, or an error with
/// <c>strict: true</c>, and with <c>strict</c> and <c>createGraph</c> a result that can't be differentiated
/// again is an error too. Results keep enclosing <see cref="ForwardAccumulator"/>s' tangents.
/// </summary>
public static partial class Autograd
{
    /// <summary>
    /// The Jacobian of every output with respect to every input (torch.autograd.functional.jacobian with
    /// tuples): <c>J[i][j]</c> has shape <c>outputs[i].Shape + inputs[j].Shape</c>. With
    /// <paramref name="strict"/>, an output that does not depend on an input throws instead of giving zeros.
    /// </summary>
    /// <example><code>
    /// var j = Autograd.Jacobian(xs => [xs[0] * xs[1], xs[0].Exp()], [a, b]);   // j[0][1] = d(a*b)/db
    /// </code></example>
    public static Tensor[][] Jacobian(Func<Tensor[], Tensor[]> f, Tensor[] inputs, bool createGraph = false, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        const string fn = "Autograd.Jacobian";
        var xs = Leaves(fn, inputs, createGraph);
        Tensor[] ys;
        using (EnableGrad()) ys = CheckOutputs(fn, f(xs), strict);
        return JacobianOf(fn, ys, xs, createGraph, strict, i => $"output {i} of the function");
    }

    /// <summary>
    /// The Hessian of a scalar function of several inputs (torch.autograd.functional.hessian with a tuple):
    /// <c>H[i][j]</c> = d²f / d inputs[i] d inputs[j], shape <c>inputs[i].Shape + inputs[j].Shape</c>.
    /// With <paramref name="strict"/>, a gradient that does not depend on the inputs (f linear in an input)
    /// or on one of them throws instead of giving zeros.
    /// </summary>
    public static Tensor[][] Hessian(Func<Tensor[], Tensor> f, Tensor[] inputs, bool createGraph = false, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        const string fn = "Autograd.Hessian";
        var xs = Leaves(fn, inputs, createGraph);
        Tensor[] gs;
        using (EnableGrad())
        {
            var y = ScalarOutput(fn, f(xs), strict);
            gs = Gradients(fn, y, xs, createGraph: true, strict);
            if (strict)
                for (int j = 0; j < gs.Length; j++)
                    if (!gs[j].RequiresGrad)
                        throw Errors.State(fn, $"the gradient with respect to input {j} does not depend on the inputs (the function is " +
                            "linear in them, or not twice differentiable), so its Hessian is zero; strict: true does not allow that.");
        }
        return JacobianOf(fn, gs, xs, createGraph, strict, i => $"the gradient with respect to input {i}");
    }

    /// <summary>
    /// f's outputs and the vector-Jacobian products <c>Σᵢ vᵢᵀ·∂outputs[i]/∂inputs[j]</c>, one per input
    /// (torch.autograd.functional.vjp with tuples). <paramref name="v"/> (one per output, each shaped like
    /// it) may be omitted when f returns a single one-element tensor.
    /// </summary>
    public static (Tensor[] Outputs, Tensor[] Result) Vjp(Func<Tensor[], Tensor[]> f, Tensor[] inputs, Tensor[]? v = null,
        bool createGraph = false, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        const string fn = "Autograd.Vjp";
        var xs = Leaves(fn, inputs, createGraph);
        Tensor[] ys;
        using (EnableGrad()) ys = CheckOutputs(fn, f(xs), strict);
        var seeds = Seeds(fn, ys, v, "f returns a single tensor with one element", "outputs");
        var gx = GradOfTracked(ys, xs, seeds, createGraph);
        return (Finish(ys, createGraph), Fill(fn, gx, xs, strict, createGraph, j => $"the outputs are independent of input {j}"));
    }

    /// <summary>
    /// f's outputs and the Jacobian-vector products <c>Σⱼ ∂outputs[i]/∂inputs[j]·vⱼ</c>, one per output
    /// (torch.autograd.functional.jvp with tuples), by the forward-mode engine. <paramref name="v"/> (one per
    /// input, each shaped like it) may be omitted when there is a single one-element input.
    /// </summary>
    public static (Tensor[] Outputs, Tensor[] Result) Jvp(Func<Tensor[], Tensor[]> f, Tensor[] inputs, Tensor[]? v = null,
        bool createGraph = false, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        const string fn = "Autograd.Jvp";
        var xs = Leaves(fn, inputs, createGraph);
        var vs = Seeds(fn, xs, v, "there is a single input with one element", "inputs");
        Tensor[] ys;
        var dys = new Tensor?[0];
        using (var acc = new ForwardAccumulator(xs, vs))
        using (EnableGrad())
        {
            ys = CheckOutputs(fn, f(xs), strict);
            dys = ys.Select(y => acc.Jvp(y)).ToArray();
        }
        if (strict)
        {
            // As PyTorch's strict check: every input must reach some output (a graph walk, no values needed).
            var tracked = ys.Where(y => y.RequiresGrad).ToArray();
            var reach = tracked.Length == 0 ? new Tensor?[xs.Length]
                : Grad(tracked, xs, tracked.Select(Tensor.ZerosLike).ToArray(), retainGraph: true, allowUnused: true);
            for (int j = 0; j < xs.Length; j++)
                if (reach[j] is null)
                    throw Errors.State(fn, $"the outputs are independent of input {j}; strict: true does not allow that (strict: false gives its part of the JVP as zero).");
        }
        var result = Fill(fn, dys, ys, strict, createGraph, i => $"the JVP of output {i} is independent of the inputs");
        return (Finish(ys, createGraph), Finish(result, createGraph));
    }

    /// <summary>
    /// f(inputs) and the Hessian-vector products <c>Σⱼ H[i][j]·vⱼ</c>, one per input, of a scalar function
    /// (torch.autograd.functional.hvp with tuples), as forward-over-reverse: no Hessian is built.
    /// <paramref name="v"/> may be omitted when there is a single one-element input.
    /// </summary>
    public static (Tensor Output, Tensor[] Result) Hvp(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor[]? v = null,
        bool createGraph = false, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        const string fn = "Autograd.Hvp";
        var xs = Leaves(fn, inputs, createGraph);
        var vs = Seeds(fn, xs, v, "there is a single input with one element", "inputs");
        Tensor y;
        Tensor?[] hv;
        using (var acc = new ForwardAccumulator(xs, vs))
        using (EnableGrad())
        {
            y = ScalarOutput(fn, f(xs), strict);
            var gs = Gradients(fn, y, xs, createGraph, strict);
            hv = gs.Select(g => acc.Jvp(g)).ToArray();
        }
        var result = Fill(fn, hv, xs, strict, createGraph, j => $"the gradient with respect to input {j} does not depend on the inputs (the Hessian is zero)");
        return (Finish([y], createGraph)[0], Finish(result, createGraph));
    }

    /// <summary>
    /// f(inputs) and the vector-Hessian products <c>Σᵢ vᵢᵀ·H[i][j]</c>, one per input, of a scalar function
    /// (torch.autograd.functional.vhp with tuples), as reverse-over-reverse. For a twice continuously
    /// differentiable f the Hessian is symmetric and this equals <see cref="Hvp(Func{Tensor[], Tensor}, Tensor[], Tensor[], bool, bool)"/>.
    /// <paramref name="v"/> may be omitted when there is a single one-element input.
    /// </summary>
    public static (Tensor Output, Tensor[] Result) Vhp(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor[]? v = null,
        bool createGraph = false, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        const string fn = "Autograd.Vhp";
        var xs = Leaves(fn, inputs, createGraph);
        var vs = Seeds(fn, xs, v, "there is a single input with one element", "inputs");
        Tensor y;
        Tensor[] gs;
        using (EnableGrad())
        {
            y = ScalarOutput(fn, f(xs), strict);
            gs = Gradients(fn, y, xs, createGraph: true, strict);
        }
        var vh = GradOfTracked(gs, xs, vs, createGraph);
        var result = Fill(fn, vh, xs, strict, createGraph, j => $"the gradient does not depend on input {j} (the Hessian is zero)");
        return (Finish([y], createGraph)[0], result);
    }

    /// <summary>The one-input form of <see cref="Vhp(Func{Tensor[], Tensor}, Tensor[], Tensor[], bool, bool)"/>; <paramref name="v"/> may be omitted for a one-element x.</summary>
    public static (Tensor Output, Tensor Result) Vhp(Func<Tensor, Tensor> f, Tensor x, Tensor? v = null, bool createGraph = false, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        var (y, r) = Vhp(xs => f(xs[0]), [x], v is null ? null : [v], createGraph, strict);
        return (y, r[0]);
    }

    /// <summary>
    /// Private inputs to differentiate: with createGraph, a recorded alias of an input that requires grad
    /// (so the result stays differentiable with respect to it); otherwise a leaf copy that keeps the
    /// tangents of enclosing forward-mode levels.
    /// </summary>
    static Tensor[] Leaves(string fn, Tensor[] inputs, bool createGraph)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw Errors.Arg(fn, "no inputs were given; pass at least one tensor.");
        var xs = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i] ?? throw Errors.Arg(fn, $"input {i} is null.");
            if (!x.DType.IsFloating())
                throw Errors.Arg(fn, $"input {i} has dtype {x.DType.TorchName()}; derivatives need a floating tensor (convert it with To(DType.Float64)).");
            xs[i] = createGraph && x.RequiresGrad ? x.Alias() : Leaf(x, createGraph: false, fn);
        }
        return xs;
    }

    static Tensor[] CheckOutputs(string fn, Tensor[]? ys, bool strict)
    {
        if (ys is null || ys.Length == 0) throw Errors.State(fn, "the function returned no outputs.");
        for (int i = 0; i < ys.Length; i++)
        {
            if (ys[i] is null) throw Errors.State(fn, $"the function returned null for output {i}.");
            if (strict && !ys[i].RequiresGrad)
                throw Errors.State(fn, $"output {i} of the function does not depend on the inputs (it does not require grad); strict: true needs " +
                    "every output computed differentiably from the inputs (strict: false gives zeros).");
        }
        return ys;
    }

    static Tensor ScalarOutput(string fn, Tensor? y, bool strict)
    {
        y = CheckOutputs(fn, y is null ? null : [y], strict)[0];
        if (y.NumElements != 1)
            throw Errors.Arg(fn, $"the function must return a single value, got shape {y.Shape}.");
        return y;
    }

    /// <summary>The gradient of scalar <paramref name="y"/> with respect to each input (zeros, or an error with strict, where it does not depend on one).</summary>
    static Tensor[] Gradients(string fn, Tensor y, Tensor[] xs, bool createGraph, bool strict)
    {
        var g = y.RequiresGrad ? Grad([y], xs, null, createGraph: createGraph, allowUnused: true) : new Tensor?[xs.Length];
        var result = new Tensor[xs.Length];
        for (int j = 0; j < xs.Length; j++)
            result[j] = g[j] ?? (strict
                ? throw Errors.State(fn, $"the function's output is independent of input {j}; strict: true does not allow that (strict: false gives zeros).")
                : Tensor.ZerosLike(xs[j]));
        return result;
    }

    /// <summary>v, or ones when it was omitted where PyTorch allows it; each checked against its tensor.</summary>
    static Tensor[] Seeds(string fn, Tensor[] like, Tensor[]? v, string whenOptional, string what)
    {
        if (v is null)
        {
            if (like.Length != 1 || like[0].NumElements != 1)
                throw Errors.State(fn, $"v can be omitted only when {whenOptional}; got {like.Length} {what} of shapes " +
                    $"{string.Join(", ", like.Select(t => t.Shape.ToString()))}. Pass v, one tensor per {what[..^1]} with its shape.");
            return [Tensor.OnesLike(like[0])];
        }
        if (v.Length != like.Length)
            throw Errors.Arg(fn, $"v has {v.Length} tensors but there are {like.Length} {what}; pass one per {what[..^1]}.");
        var seeds = new Tensor[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            var t = v[i] ?? throw Errors.Arg(fn, $"v[{i}] is null.");
            if (!t.Shape.Equals(like[i].Shape))
                throw Errors.Arg(fn, $"v[{i}] has shape {t.Shape} but {what[..^1]} {i} has shape {like[i].Shape}; they must match.");
            seeds[i] = t.DType == like[i].DType ? t : t.To(like[i].DType);
        }
        return seeds;
    }

    /// <summary>Σᵢ seedsᵢᵀ·∂ysᵢ/∂xs over the ys that require grad (as PyTorch's _autograd_grad); all null when none does.</summary>
    static Tensor?[] GradOfTracked(Tensor[] ys, Tensor[] xs, Tensor[] seeds, bool createGraph)
    {
        var keep = Enumerable.Range(0, ys.Length).Where(i => ys[i].RequiresGrad).ToArray();
        if (keep.Length == 0) return new Tensor?[xs.Length];
        using (createGraph ? EnableGrad() : null)
            return Grad(keep.Select(i => ys[i]).ToArray(), xs, keep.Select(i => (Tensor?)seeds[i]).ToArray(),
                createGraph: createGraph, allowUnused: true);
    }

    /// <summary>
    /// Zeros for null results (an error with strict), and with strict and createGraph an error for a result
    /// that can't be differentiated again (PyTorch's _fill_in_zeros).
    /// </summary>
    static Tensor[] Fill(string fn, Tensor?[] results, Tensor[] like, bool strict, bool createGraph, Func<int, string> independent)
    {
        var filled = new Tensor[results.Length];
        for (int j = 0; j < results.Length; j++)
        {
            if (results[j] is { } r)
            {
                if (strict && createGraph && !r.RequiresGrad)
                    throw Errors.State(fn, $"result {j} does not depend on the inputs, so it can't be differentiated again; strict: true with " +
                        "createGraph: true does not allow that.");
                filled[j] = r;
            }
            else if (strict) throw Errors.State(fn, $"{independent(j)}; strict: true does not allow that (strict: false gives zeros).");
            else filled[j] = Tensor.ZerosLike(like[j]);
        }
        return filled;
    }

    /// <summary>The tensors as they are with createGraph; otherwise cut from the graph (keeping forward-mode tangents).</summary>
    static Tensor[] Finish(Tensor[] ts, bool createGraph) => createGraph ? ts : ts.Select(DetachKeepTangents).ToArray();

    /// <summary>J[i][j] of <paramref name="ys"/> with respect to <paramref name="xs"/>, one reverse pass per output element.</summary>
    static Tensor[][] JacobianOf(string fn, Tensor[] ys, Tensor[] xs, bool createGraph, bool strict, Func<int, string> outputName)
    {
        var result = new Tensor[ys.Length][];
        for (int i = 0; i < ys.Length; i++)
        {
            var y = ys[i];
            int n = y.NumElements;
            var rows = xs.Select(_ => new Tensor[n]).ToArray();
            for (int e = 0; e < n; e++)
            {
                var seed = Tensor.OneHot(y.Shape.ToArray(), y.DType, e, y.Device);
                var g = y.RequiresGrad
                    ? Grad([y], xs, [seed], retainGraph: true, createGraph: createGraph, allowUnused: true)
                    : new Tensor?[xs.Length];
                for (int j = 0; j < xs.Length; j++)
                {
                    if (g[j] is { } gj)
                    {
                        if (strict && createGraph && !gj.RequiresGrad)
                            throw Errors.State(fn, $"the Jacobian of {outputName(i)} with respect to input {j} does not depend on the inputs, so it " +
                                "can't be differentiated again; strict: true with createGraph: true does not allow that.");
                        rows[j][e] = gj;
                    }
                    else if (strict)
                        throw Errors.State(fn, $"{outputName(i)} is independent of input {j}; strict: true does not allow that (strict: false gives zeros).");
                    else rows[j][e] = Tensor.ZerosLike(xs[j]);
                }
            }
            result[i] = new Tensor[xs.Length];
            for (int j = 0; j < xs.Length; j++)
            {
                int[] shape = [.. y.Shape, .. xs[j].Shape];
                result[i][j] = n == 0 ? Tensor.Zeros(shape, xs[j].DType, device: xs[j].Device) : Tensor.Stack(rows[j]).Reshape(shape);
            }
        }
        return result;
    }
}
