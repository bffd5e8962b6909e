using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>Mean squared error: (input - target)² reduced (torch.nn.functional.mse_loss). The shapes must match.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        var d = Difference("MseLoss", input, target);
        return Reduce("MseLoss", d * d, reduction);
    }

    /// <summary>Mean absolute error: |input - target| reduced (torch.nn.functional.l1_loss). The shapes must match.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Reduce("L1Loss", Difference("L1Loss", input, target).Abs(), reduction);

    /// <summary>
    /// Huber loss (torch.nn.functional.huber_loss): with d = input - target, 0.5·d² where |d| &lt; delta,
    /// else delta·(|d| - 0.5·delta); reduced. The shapes must match; delta must be positive.
    /// </summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
    {
        if (!(delta > 0)) throw Errors.Arg("HuberLoss", $"delta must be positive, got {delta}.");
        var d = Difference("HuberLoss", input, target);
        var a = d.Abs();
        return Reduce("HuberLoss", Tensor.Where(a.Lt(delta), 0.5 * d * d, delta * (a - 0.5 * delta)), reduction);
    }

    /// <summary>
    /// Binary cross entropy on probabilities (torch.nn.functional.binary_cross_entropy):
    /// -w·(y·log x + (1 - y)·log(1 - x)) with each log clamped at -100 (as PyTorch), so x = 0 or 1 gives
    /// a finite loss. Inputs must lie in [0, 1]; shapes must match. Prefer
    /// <see cref="BinaryCrossEntropyWithLogits"/> on raw scores: it is stable.
    /// </summary>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        Difference("BinaryCrossEntropy", input, target);
        Dispatch.Check(input, new ProbabilityCheck("BinaryCrossEntropy"));
        var loss = -(target * input.Log().Clamp(min: -100) + (1.0 - target) * (1.0 - input).Log().Clamp(min: -100));
        if (weight is not null) loss = loss * weight;
        return Reduce("BinaryCrossEntropy", loss, reduction);
    }

    /// <summary>
    /// Binary cross entropy on logits (torch.nn.functional.binary_cross_entropy_with_logits), in the stable
    /// form (1 - y)·x + l·(log(1 + e^(-|x|)) + max(-x, 0)) with l = 1 + (posWeight - 1)·y (l = 1 without
    /// <paramref name="posWeight"/>), times <paramref name="weight"/>; equal to
    /// max(x, 0) - x·y + log(1 + e^(-|x|)) without weights. Logits like ±1e4 give exact, finite values.
    /// The gradient is exact everywhere, also at x = 0 (σ(x) - y).
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean,
        Tensor? posWeight = null)
    {
        Difference("BinaryCrossEntropyWithLogits", input, target);
        // Both pieces take the same branch at x = 0 (x ≥ 0), so the derivative there is the true one:
        // d/dx [log(1 + e^(-x))] = -1/2 at 0 (using -|x| = -x and max(-x, 0) = 0 on that branch).
        var nonNegative = input.Ge(0.0);
        var negAbs = Tensor.Where(nonNegative, -input, input);
        var maxNeg = Tensor.Where(nonNegative, Tensor.Scalar(0.0, input.DType), -input);
        var softplusNeg = (1.0 + negAbs.Exp()).Log() + maxNeg;                 // log(1 + e^(-x))
        var l = posWeight is null ? softplusNeg : (1.0 + (posWeight - 1.0) * target) * softplusNeg;
        var loss = (1.0 - target) * input + l;
        if (weight is not null) loss = loss * weight;
        return Reduce("BinaryCrossEntropyWithLogits", loss, reduction);
    }

    /// <summary>
    /// Negative log likelihood (torch.nn.functional.nll_loss) of log-probabilities <paramref name="input"/>
    /// [N, C] (or [C], or [N, C, d1, ...]) and integer class targets [N] (or [], or [N, d1, ...]):
    /// loss_n = -weight[t_n]·input[n, t_n], 0 where t_n = <paramref name="ignoreIndex"/>. Mean divides the
    /// sum by Σ weight[t_n] over the targets not ignored (NaN when all are ignored, as PyTorch).
    /// Targets outside 0..C-1 (other than ignoreIndex) are an error. An empty batch gives an empty result
    /// with None, 0 with Sum and NaN with Mean (0/0), as PyTorch.
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        CheckReduction("NllLoss", reduction);
        var (logp, t, outShape) = ClassLayout("NllLoss", input, target, weight, ignoreIndex);
        return Nll(logp, t, outShape, weight, ignoreIndex, reduction);
    }

    /// <summary>NllLoss of validated scores [M, C] and targets [M] (see <see cref="ClassLayout"/>).</summary>
    static Tensor Nll(Tensor logp, Tensor t, int[] outShape, Tensor? weight, long ignoreIndex, Reduction reduction)
    {
        var (picked, w) = PickTargets(logp, t, weight, ignoreIndex);
        var loss = -(picked * w);
        return reduction switch
        {
            Reduction.None => loss.Reshape(outShape),
            Reduction.Sum => loss.Sum(),
            _ => loss.Sum() / w.Sum(),
        };
    }

    /// <summary>
    /// Cross entropy of raw scores <paramref name="input"/> [N, C] (or [C], or [N, C, d1, ...]) and integer
    /// class targets (torch.nn.functional.cross_entropy): <see cref="NllLoss"/> of the stable
    /// <see cref="Tensor.LogSoftmax"/>, so logits like 1e4 neither overflow nor give NaN. With
    /// <paramref name="labelSmoothing"/> ε the result is (1 - ε)·nll + (ε/C)·s, s_n = -Σ_c weight[c]·logp[n, c]
    /// (0 for ignored targets) reduced like nll (Mean divides by the same Σ weight[t_n]), exactly as PyTorch.
    /// An empty batch gives an empty result with None, 0 with Sum and NaN with Mean, as PyTorch. Every check
    /// (input rank and dtype, target shape, dtype and range, weight) happens before any computation and names
    /// CrossEntropy.
    /// <para>A floating <paramref name="target"/> with the input's shape holds class probabilities (soft targets, as
    /// PyTorch): loss_n = -Σ_c weight[c]·t[n, c]·logp[n, c], with t smoothed to (1 - ε)·t + ε/C first; Mean divides
    /// the sum by the number of samples (N·d1·..., not by the weights), and an ignoreIndex ≥ 0 is an error there.</para>
    /// </summary>
    /// <example><code>
    /// var loss = Functional.CrossEntropy(logits, labels, labelSmoothing: 0.1);
    /// </code></example>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean, double labelSmoothing = 0.0)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw Errors.Arg("CrossEntropy", $"labelSmoothing must be in [0, 1], got {labelSmoothing}.");
        CheckReduction("CrossEntropy", reduction);
        ArgumentNullException.ThrowIfNull(target);
        if (target.DType.IsFloating())
            return SoftCrossEntropy(input, target, weight, ignoreIndex, reduction, labelSmoothing);
        // Validate as CrossEntropy first: validating late, inside LogSoftmax or NllLoss, would blame those.
        var (scores, t, outShape) = ClassLayout("CrossEntropy", input, target, weight, ignoreIndex);
        var logp = scores.LogSoftmax(1);   // scores are [M, C]: the classes are dim 1 whatever the input's rank
        var nll = Nll(logp, t, outShape, weight, ignoreIndex, reduction);
        if (labelSmoothing == 0) return nll;
        int classes = logp.Shape[1];
        var ignored = t.Eq(ignoreIndex);
        var smooth = -(weight is null ? logp : logp * weight).Sum(1);
        smooth = Tensor.Where(ignored, Tensor.Scalar(0.0, smooth.DType), smooth);
        var smoothReduced = reduction switch
        {
            Reduction.None => smooth.Reshape(outShape),
            Reduction.Sum => smooth.Sum(),
            _ => smooth.Sum() / PickTargets(logp, t, weight, ignoreIndex).Weights.Sum(),
        };
        return (1 - labelSmoothing) * nll + smoothReduced * (labelSmoothing / classes);
    }

    /// <summary>CrossEntropy with class probabilities as targets (see <see cref="CrossEntropy"/>).</summary>
    static Tensor SoftCrossEntropy(Tensor input, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction, double labelSmoothing)
    {
        const string op = "CrossEntropy";
        if (input.Rank == 0) throw Errors.Arg(op, "input must be [N, C], [C] or [N, C, d1, ...], got a 0-d tensor.");
        var x = FloatInput(op, input);
        if (!x.Shape.Equals(target.Shape))
            throw Errors.Arg(op, $"class-probability targets must have the input's shape {Errors.Describe(x)}, got {Errors.Describe(target)} " +
                "(for class indices pass an int64 or int32 target).");
        if (ignoreIndex >= 0)
            throw Errors.Arg(op, $"ignoreIndex ({ignoreIndex}) is not supported with class-probability (floating) targets, as in PyTorch.");
        int classDim = x.Rank == 1 ? 0 : 1, classes = x.Shape[classDim];
        if (weight is not null && (weight.Rank != 1 || weight.Shape[0] != classes))
            throw Errors.Arg(op, $"weight must be [{classes}] (one per class), got {Errors.Describe(weight)}.");
        var t = labelSmoothing == 0 ? target : target * (1 - labelSmoothing) + labelSmoothing / classes;
        var terms = x.LogSoftmax(classDim) * t;
        if (weight is not null)
        {
            var perClass = new int[x.Rank];
            Array.Fill(perClass, 1);
            perClass[classDim] = classes;
            terms = terms * weight.Reshape(perClass);   // broadcast along the class dim
        }
        var loss = -terms.Sum(classDim);
        return reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.Sum(),
            // Divided by the sample count (N·d1·...): 0/0 = NaN for an empty batch, as PyTorch.
            _ => loss.Sum() / (double)(x.Shape.NumElements / Math.Max(classes, 1)),
        };
    }

    /// <summary>(input[n, t_n], w_n) with w_n = weight[t_n] (1 without weights) and 0 for ignored targets.</summary>
    static (Tensor Picked, Tensor Weights) PickTargets(Tensor logp, Tensor t, Tensor? weight, long ignoreIndex)
    {
        var ignored = t.Eq(ignoreIndex);
        var safe = Tensor.Where(ignored, Tensor.Scalar(0, t.DType), t);        // any valid class; masked below
        var picked = logp.Gather(1, safe.Unsqueeze(1)).Squeeze(1);
        var zero = Tensor.Scalar(0.0, logp.DType);
        var w = weight is null
            ? Tensor.Where(ignored, zero, Tensor.Scalar(1.0, logp.DType))
            : Tensor.Where(ignored, zero, weight.IndexSelect(0, safe));
        return (picked, w);
    }

    /// <summary>Class scores as [M, C], targets as [M], and the per-sample output shape; validates targets and weight.</summary>
    static (Tensor Scores, Tensor Targets, int[] OutShape) ClassLayout(string op, Tensor input, Tensor target, Tensor? weight, long ignoreIndex)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!target.DType.IsInteger())
            throw Errors.Arg(op, $"targets must be integer class indices (int64 or int32), got {target.DType.TorchName()}.");
        if (input.Rank == 0) throw Errors.Arg(op, "input must be [N, C], [C] or [N, C, d1, ...], got a 0-d tensor.");
        var x = FloatInput(op, input);
        Tensor scores;
        int[] outShape;
        if (x.Rank == 1)
        {
            if (target.Rank != 0) throw Errors.Arg(op, $"a 1-d input {Errors.Describe(x)} needs a 0-d target, got {Errors.Describe(target)}.");
            (scores, outShape) = (x.Unsqueeze(0), []);
        }
        else
        {
            var shape = x.Shape.ToArray();
            outShape = [shape[0], .. shape[2..]];
            if (!target.Shape.ToArray().SequenceEqual(outShape))
                throw Errors.Arg(op, $"targets must have shape {Shape.Format(outShape)} for input {Errors.Describe(x)} (classes in dim 1), got {Errors.Describe(target)}.");
            int[] toLast = [0, .. Enumerable.Range(2, x.Rank - 2), 1];
            scores = (x.Rank == 2 ? x : x.Permute(toLast)).Reshape(-1, shape[1]);
        }
        int classes = scores.Shape[1];
        if (weight is not null && (weight.Rank != 1 || weight.Shape[0] != classes))
            throw Errors.Arg(op, $"weight must be [{classes}] (one per class), got {Errors.Describe(weight)}.");
        var t = target.Reshape(-1);
        CheckTargets(op, t, classes, ignoreIndex);
        return (scores, t, outShape);
    }

    static void CheckTargets(string op, Tensor t, int classes, long ignoreIndex)
    {
        Dispatch.Check(t, new IndexRangeCheck("target", classes, ignoreIndex, $"{op}: target {{0}} is out of range for {classes} classes " +
            $"(valid: 0..{classes - 1}, or ignoreIndex = {ignoreIndex})"));
    }

    static Tensor Difference(string op, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.Shape.Equals(target.Shape))
            throw Errors.Arg(op, $"input {Errors.Describe(input)} and target {Errors.Describe(target)} must have the same shape " +
                "(PyTorch would broadcast with a warning, which is almost always a bug); reshape one of them.");
        return FloatInput(op, input) - target;
    }

    /// <summary>Reduces per-element losses; Mean of an empty loss is NaN (0/0) and Sum is 0, as PyTorch.</summary>
    static Tensor Reduce(string op, Tensor loss, Reduction reduction)
    {
        CheckReduction(op, reduction);
        return reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.Sum(),
            _ => loss.Mean(),
        };
    }

    static void CheckReduction(string op, Reduction reduction)
    {
        if (!Enum.IsDefined(reduction))
            throw Errors.Arg(op, $"unknown reduction {(int)reduction}; use Reduction.None, Reduction.Mean or Reduction.Sum.");
        if (reduction == Reduction.BatchMean)
            throw Errors.Arg(op, "Reduction.BatchMean is only for KLDiv (as PyTorch's 'batchmean'); use Reduction.Mean, Reduction.Sum or Reduction.None.");
    }
}
