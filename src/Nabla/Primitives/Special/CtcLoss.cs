using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Special;

/// <summary>
/// The CTC negative log likelihood per sample (torch.nn.functional.ctc_loss before its reduction): inputs are
/// log-probabilities [T, N, C] (float), targets (padded [N, S] or concatenated 1-d, int32/int64), input lengths [N] and
/// target lengths [N]; the output is [N] in the input's dtype, +inf where no alignment fits. Computed by
/// <see cref="CtcAlgorithm"/> (forward-backward in log space, double accumulation). The gradient is
/// <see cref="CtcLossGrad"/>, the exact partial derivative in the log-probabilities (it is the same as PyTorch's after a
/// log_softmax); forward mode contracts that gradient with the tangent. Not twice differentiable (nor is PyTorch's).
/// </summary>
internal sealed class CtcLoss(int blank, bool concatenated, bool zeroInfinity) : Primitive
{
    public override string Name => "ctc_loss";
    public override string GradName => "CtcLossBackward";

    public int Blank => blank;
    public bool Concatenated => concatenated;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        [needs[0] ? Dispatch.Call(new CtcLossGrad(blank, concatenated, zeroInfinity), gy, x[0], x[1], x[2], x[3]) : null, null, null, null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is not { } d) return null;
        // d nll[n] = Σ_{t,c} ∂nll[n]/∂lp[t, n, c]·d[t, n, c]: the reverse-mode gradient for gy = 1, contracted.
        var grad = Dispatch.Call(new CtcLossGrad(blank, concatenated, zeroInfinity), Tensor.OnesLike(y), x[0], x[1], x[2], x[3]);
        return (grad * d).Sum([0, 2]);
    }

    public override RefArray Reference(RefArray[] x)
    {
        var nll = CtcAlgorithm.NegativeLogLikelihood(Problem(x[0], x[1], x[2], x[3], blank, concatenated));
        return new RefArray(nll, [x[0].Shape[1]]);
    }

    /// <summary>The algorithm's problem from reference arrays (lp [T, N, C], targets, lengths).</summary>
    internal static CtcAlgorithm.Problem Problem(RefArray lp, RefArray targets, RefArray inputLengths, RefArray targetLengths, int blank, bool concatenated) =>
        new(lp.Data, lp.Shape[0], lp.Shape[1], lp.Shape[2], Array.ConvertAll(targets.Data, v => (long)v), concatenated,
            concatenated || targets.Shape.Length < 2 ? 0 : targets.Shape[1], Array.ConvertAll(inputLengths.Data, v => (long)v),
            Array.ConvertAll(targetLengths.Data, v => (long)v), blank);
}

/// <summary>
/// gy[n]·∂nll[n]/∂lp[t, n, c] for <see cref="CtcLoss"/>: inputs gy [N], lp [T, N, C], targets, input and target lengths;
/// output [T, N, C]. 0 for t past a sample's input length; where a target is impossible, 0 with zeroInfinity, else NaN.
/// Its own derivatives are not implemented: asking for a second derivative of ctc_loss is an error.
/// </summary>
internal sealed class CtcLossGrad(int blank, bool concatenated, bool zeroInfinity) : Primitive
{
    public override string Name => "ctc_loss_backward";

    public int Blank => blank;
    public bool Concatenated => concatenated;
    public bool ZeroInfinity => zeroInfinity;

    public override DType OutputDType(Tensor[] x) => x[1].DType;

    static NotSupportedException NotTwice() =>
        new($"CtcLoss: second derivatives are not supported (PyTorch's ctc_loss is not twice differentiable either); " +
            $"differentiate it once (called from {CallSite.Describe()})");

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => throw NotTwice();

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => throw NotTwice();

    public override RefArray Reference(RefArray[] x)
    {
        var grad = CtcAlgorithm.Gradient(CtcLoss.Problem(x[1], x[2], x[3], x[4], blank, concatenated), x[0].Data, zeroInfinity);
        return new RefArray(grad, x[1].Shape);
    }
}
