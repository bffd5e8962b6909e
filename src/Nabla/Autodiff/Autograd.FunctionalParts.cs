using Nabla.Engine;

namespace Nabla;

/// <summary>The steps the several-input functional helpers share (PyTorch's _grad_preprocess, _check_requires_grad, _fill_in_zeros).</summary>
public static partial class Autograd
{
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
