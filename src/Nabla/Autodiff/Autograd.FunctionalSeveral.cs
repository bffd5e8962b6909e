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
}
