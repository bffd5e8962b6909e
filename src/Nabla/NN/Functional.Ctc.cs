using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Connectionist temporal classification loss (torch.nn.functional.ctc_loss): the negative log likelihood of each
    /// target sequence summed over all its alignments to the input frames, by the forward-backward algorithm in log space
    /// with double accumulation. <paramref name="logProbs"/> [T, N, C] are log-probabilities (apply
    /// <see cref="Tensor.LogSoftmax"/> over C), or [T, C] for one unbatched sample; <paramref name="targets"/> are class
    /// indices, padded [N, S] (entries past a target's length are ignored) or all targets concatenated in 1-d;
    /// <paramref name="inputLengths"/> [N] (each ≤ T) and <paramref name="targetLengths"/> [N] are integers. Labels must
    /// lie in 0..C-1 and differ from <paramref name="blank"/>. Mean divides each loss by its target length (at least 1)
    /// and then averages over the batch, as PyTorch. An impossible alignment (a target too long for its input) gives
    /// +inf, or 0 (with a zero gradient) under <paramref name="zeroInfinity"/>.
    /// <para>The gradient is the exact partial derivative in the log-probabilities; PyTorch's differs from it by
    /// exp(logProbs) (which the log_softmax it expects before the loss cancels), so both agree on the logits.
    /// Frames past a sample's input length get 0. Forward mode works; a second derivative is a NotSupportedException,
    /// as ctc_loss is not twice differentiable in PyTorch either. Lengths and targets are read on the host to be checked.</para>
    /// </summary>
    public static Tensor CtcLoss(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths, int blank = 0,
        Reduction reduction = Reduction.Mean, bool zeroInfinity = false)
    {
        const string op = "CtcLoss";
        ArgumentNullException.ThrowIfNull(logProbs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(inputLengths);
        ArgumentNullException.ThrowIfNull(targetLengths);
        CheckReduction(op, reduction);
        var lp = FloatInput(op, logProbs);
        bool unbatched = lp.Rank == 2;
        if (unbatched)
        {
            if (targets.Rank != 1 || inputLengths.Rank > 1 || targetLengths.Rank > 1)
                throw Errors.Arg(op, $"an unbatched input {Errors.Describe(lp)} needs 1-d targets and 0-d lengths, got targets {Errors.Describe(targets)}.");
            (lp, targets, inputLengths, targetLengths) = (lp.Unsqueeze(1), targets.Unsqueeze(0), inputLengths.Reshape(1), targetLengths.Reshape(1));
        }
        if (lp.Rank != 3) throw Errors.Arg(op, $"logProbs must be [T, N, C] (or [T, C] unbatched), got {Errors.Describe(logProbs)}.");
        bool concatenated = targets.Rank == 1;
        CheckCtcInputs(op, lp, targets, inputLengths, targetLengths, blank, concatenated);
        var nll = Dispatch.Call(new Primitives.Special.CtcLoss(blank, concatenated, zeroInfinity), lp, targets, inputLengths, targetLengths);
        if (zeroInfinity) nll = Tensor.Where(nll.Eq(double.PositiveInfinity), Tensor.Scalar(0.0, nll.DType), nll);
        var loss = reduction switch
        {
            Reduction.None => nll,
            Reduction.Sum => nll.Sum(),
            _ => (nll / targetLengths.To(nll.DType).Clamp(min: 1)).Mean(),
        };
        return unbatched && reduction == Reduction.None ? loss.Reshape([]) : loss;
    }

    /// <summary><see cref="CtcLoss(Tensor, Tensor, Tensor, Tensor, int, Reduction, bool)"/> with lengths given as arrays (PyTorch also takes tuples).</summary>
    public static Tensor CtcLoss(Tensor logProbs, Tensor targets, int[] inputLengths, int[] targetLengths, int blank = 0,
        Reduction reduction = Reduction.Mean, bool zeroInfinity = false)
    {
        ArgumentNullException.ThrowIfNull(logProbs);
        ArgumentNullException.ThrowIfNull(inputLengths);
        ArgumentNullException.ThrowIfNull(targetLengths);
        Tensor Lengths(int[] v) => Tensor.FromArray(Array.ConvertAll(v, x => (long)x), [v.Length]).To(logProbs.Device);
        return CtcLoss(logProbs, targets, Lengths(inputLengths), Lengths(targetLengths), blank, reduction, zeroInfinity);
    }

    /// <summary>Shapes, dtypes and values (read on the host): every error names CtcLoss and the caller.</summary>
    static void CheckCtcInputs(string op, Tensor lp, Tensor targets, Tensor inputLengths, Tensor targetLengths, int blank, bool concatenated)
    {
        int frames = lp.Shape[0], batch = lp.Shape[1], classes = lp.Shape[2];
        if (blank < 0 || blank >= classes) throw Errors.Arg(op, $"blank {blank} must be a class (0..{classes - 1}).");
        foreach (var (name, t) in new[] { ("targets", targets), ("inputLengths", inputLengths), ("targetLengths", targetLengths) })
            if (!t.DType.IsInteger()) throw Errors.Arg(op, $"{name} must be int64 or int32, got {Errors.Describe(t)}.");
        if (inputLengths.Rank != 1 || inputLengths.Shape[0] != batch || targetLengths.Rank != 1 || targetLengths.Shape[0] != batch)
            throw Errors.Arg(op, $"inputLengths and targetLengths must be [{batch}] (one per sample), got {Errors.Describe(inputLengths)} and {Errors.Describe(targetLengths)}.");
        if (!concatenated && (targets.Rank != 2 || targets.Shape[0] != batch))
            throw Errors.Arg(op, $"targets must be padded [{batch}, S] or concatenated 1-d, got {Errors.Describe(targets)}.");
        var inLen = inputLengths.To(DType.Int64).ToArray<long>();
        var tgtLen = targetLengths.To(DType.Int64).ToArray<long>();
        var labels = targets.To(DType.Int64).ToArray<long>();
        long width = concatenated ? 0 : targets.Shape[1], start = 0;
        for (int n = 0; n < batch; n++)
        {
            if (inLen[n] < 0 || inLen[n] > frames)
                throw Errors.Arg(op, $"inputLengths[{n}] = {inLen[n]} must be within 0..{frames} (the input has {frames} frames).");
            if (tgtLen[n] < 0 || (!concatenated && tgtLen[n] > width))
                throw Errors.Arg(op, $"targetLengths[{n}] = {tgtLen[n]} must be within 0..{width} (the padded targets' width).");
            long first = concatenated ? start : n * width;
            if (concatenated && first + tgtLen[n] > labels.Length)
                throw Errors.Arg(op, $"the target lengths add up to more than the {labels.Length} concatenated targets.");
            for (long s = first; s < first + tgtLen[n]; s++)
                if (labels[s] < 0 || labels[s] >= classes || labels[s] == blank)
                    throw Errors.Arg(op, $"target label {labels[s]} of sample {n} must be a class in 0..{classes - 1} other than blank ({blank}).");
            start += tgtLen[n];
        }
        if (concatenated && start != labels.Length)
            throw Errors.Arg(op, $"the target lengths add up to {start} but {labels.Length} concatenated targets were given.");
    }
}
