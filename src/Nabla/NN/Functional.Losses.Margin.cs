using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Cosine embedding loss (torch.nn.functional.cosine_embedding_loss) of pairs x1, x2 [N, D] (or [D]) with
    /// labels y [N] (or []): 1 - cos(x1, x2) where y = 1, max(0, cos - <paramref name="margin"/>) where y = -1,
    /// 0 for any other label (as PyTorch). cos = Σ x1·x2 / √((Σ x1² + 1e-12)·(Σ x2² + 1e-12)), so zero vectors give 0.
    /// </summary>
    public static Tensor CosineEmbeddingLoss(Tensor input1, Tensor input2, Tensor target, double margin = 0.0, Reduction reduction = Reduction.Mean)
    {
        const string op = "CosineEmbeddingLoss";
        ArgumentNullException.ThrowIfNull(target);
        PairShapes(op, input1, input2, target);
        var x1 = FloatInput(op, input1);
        int dim = target.Rank;   // the feature dim: 1 for [N, D], 0 for [D]
        const double Eps = 1e-12;
        var cos = (x1 * input2).Sum(dim) / (((x1 * x1).Sum(dim) + Eps) * ((input2 * input2).Sum(dim) + Eps)).Sqrt();
        var zero = Tensor.Scalar(0.0, cos.DType);
        var loss = Tensor.Where(target.Eq(1.0), 1.0 - cos, zero) + Tensor.Where(target.Eq(-1.0), (cos - margin).Clamp(min: 0), zero);
        return Reduce(op, loss, reduction);
    }

    /// <summary>
    /// Margin ranking loss (torch.nn.functional.margin_ranking_loss): max(0, -y·(x1 - x2) + <paramref name="margin"/>),
    /// y = 1 when x1 should rank higher and -1 when x2 should. The three tensors must have the same rank
    /// (as PyTorch) and broadcast together.
    /// </summary>
    public static Tensor MarginRankingLoss(Tensor input1, Tensor input2, Tensor target, double margin = 0.0, Reduction reduction = Reduction.Mean)
    {
        const string op = "MarginRankingLoss";
        ArgumentNullException.ThrowIfNull(input1);
        ArgumentNullException.ThrowIfNull(input2);
        ArgumentNullException.ThrowIfNull(target);
        if (input1.Rank != input2.Rank || input1.Rank != target.Rank)
            throw Errors.Arg(op, $"input1 {Errors.Describe(input1)}, input2 {Errors.Describe(input2)} and target {Errors.Describe(target)} must have the same rank.");
        var d = FloatInput(op, input1) - input2;
        return Reduce(op, (-target.To(d.DType) * d + margin).Clamp(min: 0), reduction);
    }

    /// <summary>
    /// Triplet margin loss (torch.nn.functional.triplet_margin_loss) of anchors, positives and negatives [N, D]
    /// (or [D]): max(0, <paramref name="margin"/> + d(a, p) - d(a, n)) with the pairwise distance
    /// d(x, y) = ‖x - y + <paramref name="eps"/>‖_p over the last dim (PyTorch's pairwise_distance). With
    /// <paramref name="swap"/>, d(a, n) becomes min(d(a, n), d(p, n)) (the distance swap of Balntas et al.).
    /// </summary>
    public static Tensor TripletMarginLoss(Tensor anchor, Tensor positive, Tensor negative, double margin = 1.0, double p = 2,
        double eps = 1e-6, bool swap = false, Reduction reduction = Reduction.Mean)
    {
        const string op = "TripletMarginLoss";
        ArgumentNullException.ThrowIfNull(anchor);
        ArgumentNullException.ThrowIfNull(positive);
        ArgumentNullException.ThrowIfNull(negative);
        if (anchor.Rank != positive.Rank || anchor.Rank != negative.Rank || anchor.Rank is not (1 or 2))
            throw Errors.Arg(op, $"anchor {Errors.Describe(anchor)}, positive {Errors.Describe(positive)} and negative {Errors.Describe(negative)} " +
                "must all be [N, D] or all [D].");
        if (!(p > 0)) throw Errors.Arg(op, $"p must be positive, got {p}.");
        var a = FloatInput(op, anchor);
        Tensor Distance(Tensor x, Tensor y) => (x - y + eps).Norm(p, -1);
        var toNegative = Distance(a, negative);
        if (swap) toNegative = toNegative.Minimum(Distance(positive, negative));
        return Reduce(op, (margin + Distance(a, positive) - toNegative).Clamp(min: 0), reduction);
    }

    /// <summary>
    /// Hinge embedding loss (torch.nn.functional.hinge_embedding_loss): x where y = 1, max(0, <paramref name="margin"/> - x)
    /// where y = -1 (and, as PyTorch, both terms for any other label). The shapes must match.
    /// </summary>
    public static Tensor HingeEmbeddingLoss(Tensor input, Tensor target, double margin = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string op = "HingeEmbeddingLoss";
        SameShape(op, input, target);
        var x = FloatInput(op, input);
        var zero = Tensor.Scalar(0.0, x.DType);
        var loss = Tensor.Where(target.Ne(1.0), (margin - x).Clamp(min: 0), zero) + Tensor.Where(target.Ne(-1.0), x, zero);
        return Reduce(op, loss, reduction);
    }

    /// <summary>
    /// Soft margin loss (torch.nn.functional.soft_margin_loss): log(1 + e^(-y·x)) for labels y = ±1, in an
    /// overflow-free form (large |x| gives exact finite values). The shapes must match.
    /// </summary>
    public static Tensor SoftMarginLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string op = "SoftMarginLoss";
        SameShape(op, input, target);
        var x = FloatInput(op, input);
        return Reduce(op, LogOnePlusExp(-target.To(x.DType) * x), reduction);
    }

    /// <summary>
    /// Multi-label soft margin loss (torch.nn.functional.multilabel_soft_margin_loss) of scores [N, C] (or [C]) and
    /// 0/1 targets of the same shape: per sample, the mean over classes of
    /// w_c·(t·log(1 + e^(-x)) + (1 - t)·log(1 + e^x)) (binary cross entropy with logits per class); then reduced
    /// over samples.
    /// </summary>
    public static Tensor MultiLabelSoftMarginLoss(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        const string op = "MultiLabelSoftMarginLoss";
        SameShape(op, input, target);
        var x = FloatInput(op, input);
        if (x.Rank is not (1 or 2)) throw Errors.Arg(op, $"input must be [N, C] or [C], got {Errors.Describe(x)}.");
        int classes = x.Shape[-1];
        if (weight is not null && !(weight.Rank == 1 && weight.Shape[0] == classes))
            throw Errors.Arg(op, $"weight must be [{classes}] (one per class), got {Errors.Describe(weight)}.");
        var t = target.To(x.DType);
        var loss = t * LogOnePlusExp(-x) + (1.0 - t) * LogOnePlusExp(x);
        if (weight is not null) loss = loss * weight;
        return Reduce(op, loss.Sum(-1) / (double)classes, reduction);
    }

    /// <summary>
    /// Multi-class margin loss (torch.nn.functional.multi_margin_loss) of scores [N, C] (or [C]) and class indices [N]
    /// (or []): per sample Σ_{i ≠ y} w[y]·max(0, <paramref name="margin"/> - x[y] + x[i])^p / C, p = 1 or 2. As PyTorch's
    /// kernel, the weight multiplies after the power and a term exactly at 0 has gradient 0.
    /// </summary>
    public static Tensor MultiMarginLoss(Tensor input, Tensor target, int p = 1, double margin = 1.0, Tensor? weight = null,
        Reduction reduction = Reduction.Mean)
    {
        const string op = "MultiMarginLoss";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (p is not (1 or 2)) throw Errors.Arg(op, $"p must be 1 or 2, got {p}.");
        var x = FloatInput(op, input);
        if (!target.DType.IsInteger()) throw Errors.Arg(op, $"targets must be integer class indices (int64 or int32), got {target.DType.TorchName()}.");
        if (!(x.Rank == 2 && target.Rank == 1 && target.Shape[0] == x.Shape[0]) && !(x.Rank == 1 && target.Rank == 0))
            throw Errors.Arg(op, $"input must be [N, C] with target [N], or [C] with a 0-d target; got input {Errors.Describe(x)} and target {Errors.Describe(target)}.");
        var scores = x.Rank == 1 ? x.Unsqueeze(0) : x;
        var t = target.Reshape(-1);
        int classes = scores.Shape[1];
        if (weight is not null && !(weight.Rank == 1 && weight.Shape[0] == classes))
            throw Errors.Arg(op, $"weight must be [{classes}] (one per class), got {Errors.Describe(weight)}.");
        Dispatch.Check(t, new IndexRangeCheck("target", classes, null, $"{op}: target {{0}} is out of range for {classes} classes (valid: 0..{classes - 1})"));
        var column = t.Unsqueeze(1);
        var z = (margin - scores.Gather(1, column) + scores).Relu();
        var terms = p == 1 ? z : z * z;
        var isTarget = Tensor.Arange(classes, DType.Int64, x.Device).Unsqueeze(0).Eq(column.To(DType.Int64));
        terms = Tensor.Where(isTarget, Tensor.Scalar(0.0, terms.DType), terms);
        if (weight is not null) terms = terms * weight.IndexSelect(0, t).Unsqueeze(1);
        var loss = terms.Sum(1) / (double)classes;
        return Reduce(op, x.Rank == 1 ? loss.Reshape([]) : loss, reduction);
    }

    /// <summary>log(1 + e^z) without overflow; both pieces take one branch at z = 0, so the derivative there is exactly 1/2.</summary>
    static Tensor LogOnePlusExp(Tensor z)
    {
        var nonNegative = z.Ge(0.0);
        var negAbs = Tensor.Where(nonNegative, -z, z);
        var positivePart = Tensor.Where(nonNegative, z, Tensor.Scalar(0.0, z.DType));
        return positivePart + negAbs.Exp().Log1p();
    }

    static void SameShape(string op, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.Shape.Equals(target.Shape))
            throw Errors.Arg(op, $"input {Errors.Describe(input)} and target {Errors.Describe(target)} must have the same shape.");
    }

    /// <summary>x1, x2 [N, D] with y [N], or x1, x2 [D] with a 0-d y (the cosine embedding layout).</summary>
    static void PairShapes(string op, Tensor input1, Tensor input2, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input1);
        ArgumentNullException.ThrowIfNull(input2);
        bool batched = target.Rank == 1 && input1.Rank == 2 && input1.Shape[0] == target.Shape[0];
        bool single = target.Rank == 0 && input1.Rank == 1;
        if (!(batched || single) || !input1.Shape.Equals(input2.Shape))
            throw Errors.Arg(op, $"expected x1, x2 [N, D] with target [N], or x1, x2 [D] with a 0-d target; got {Errors.Describe(input1)}, " +
                $"{Errors.Describe(input2)} and target {Errors.Describe(target)}.");
    }
}
