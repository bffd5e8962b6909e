namespace Nabla.NN;

/// <summary>
/// Binary cross entropy on probabilities (torch.nn.BCELoss): <see cref="Functional.BinaryCrossEntropy"/>, with an optional
/// per-element <see cref="Weight"/> (a buffer).
/// </summary>
public sealed class BceLoss : Loss
{
    /// <summary>A BCE loss; <paramref name="weight"/> rescales each element's loss (broadcast to the input).</summary>
    public BceLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : base(reduction) =>
        Weight = weight is null ? null : RegisterBuffer("weight", weight);

    /// <summary>The per-element weight, or null.</summary>
    public Tensor? Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropy(input, target, Weight, Reduction);
}

/// <summary>
/// Binary cross entropy on logits (torch.nn.BCEWithLogitsLoss): <see cref="Functional.BinaryCrossEntropyWithLogits"/>,
/// with optional <see cref="Weight"/> and <see cref="PosWeight"/> (buffers).
/// </summary>
public sealed class BceWithLogitsLoss : Loss
{
    /// <summary>A BCE-with-logits loss; <paramref name="posWeight"/> weighs the positive term per class (broadcast along the last dim).</summary>
    public BceWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null) : base(reduction)
    {
        Weight = weight is null ? null : RegisterBuffer("weight", weight);
        PosWeight = posWeight is null ? null : RegisterBuffer("pos_weight", posWeight);
    }

    /// <summary>The per-element weight, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>The weight of positive examples, or null.</summary>
    public Tensor? PosWeight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        Functional.BinaryCrossEntropyWithLogits(input, target, Weight, Reduction, PosWeight);
}

/// <summary>Negative log likelihood module (torch.nn.NLLLoss): <see cref="Functional.NllLoss"/> of log-probabilities and class indices.</summary>
public sealed class NllLoss : Loss
{
    /// <summary>An NLL loss with optional class <paramref name="weight"/> [C] and an ignored target value.</summary>
    public NllLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        Weight = weight is null ? null : RegisterBuffer("weight", weight);
        IgnoreIndex = ignoreIndex;
    }

    /// <summary>The class weights [C], or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Targets equal to this add nothing.</summary>
    public long IgnoreIndex { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.NllLoss(input, target, Weight, IgnoreIndex, Reduction);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, ignoreIndex={IgnoreIndex}";
}

/// <summary>
/// Cross entropy module (torch.nn.CrossEntropyLoss): <see cref="Functional.CrossEntropy"/> of raw scores and class
/// indices or class probabilities, with class weights, an ignored index and label smoothing.
/// </summary>
public sealed class CrossEntropyLoss : Loss
{
    /// <summary>A cross entropy loss (PyTorch's constructor options).</summary>
    public CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0.0)
        : base(reduction)
    {
        Weight = weight is null ? null : RegisterBuffer("weight", weight);
        (IgnoreIndex, LabelSmoothing) = (ignoreIndex, labelSmoothing);
    }

    /// <summary>The class weights [C], or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Class-index targets equal to this add nothing.</summary>
    public long IgnoreIndex { get; }

    /// <summary>The label smoothing ε in [0, 1].</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        Functional.CrossEntropy(input, target, Weight, IgnoreIndex, Reduction, LabelSmoothing);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, ignoreIndex={IgnoreIndex}, labelSmoothing={LabelSmoothing}";
}

/// <summary>Hinge embedding loss module (torch.nn.HingeEmbeddingLoss): <see cref="Functional.HingeEmbeddingLoss"/>.</summary>
public sealed class HingeEmbeddingLoss(double margin = 1.0, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The margin for y = -1.</summary>
    public double Margin { get; } = margin;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.HingeEmbeddingLoss(input, target, Margin, Reduction);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, margin={Margin}";
}

/// <summary>Soft margin loss module (torch.nn.SoftMarginLoss): <see cref="Functional.SoftMarginLoss"/>.</summary>
public sealed class SoftMarginLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.SoftMarginLoss(input, target, Reduction);
}

/// <summary>Multi-label soft margin loss module (torch.nn.MultiLabelSoftMarginLoss): <see cref="Functional.MultiLabelSoftMarginLoss"/>.</summary>
public sealed class MultiLabelSoftMarginLoss : Loss
{
    /// <summary>A multi-label soft margin loss with optional class <paramref name="weight"/> [C].</summary>
    public MultiLabelSoftMarginLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : base(reduction) =>
        Weight = weight is null ? null : RegisterBuffer("weight", weight);

    /// <summary>The class weights [C], or null.</summary>
    public Tensor? Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MultiLabelSoftMarginLoss(input, target, Weight, Reduction);
}

/// <summary>Multi-class margin loss module (torch.nn.MultiMarginLoss): <see cref="Functional.MultiMarginLoss"/>.</summary>
public sealed class MultiMarginLoss : Loss
{
    /// <summary>A multi-class margin loss: power <paramref name="p"/> (1 or 2), <paramref name="margin"/>, class <paramref name="weight"/> [C].</summary>
    public MultiMarginLoss(int p = 1, double margin = 1.0, Tensor? weight = null, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        (P, Margin) = (p, margin);
        Weight = weight is null ? null : RegisterBuffer("weight", weight);
    }

    /// <summary>The power of each hinge term (1 or 2).</summary>
    public int P { get; }

    /// <summary>The margin.</summary>
    public double Margin { get; }

    /// <summary>The class weights [C], or null.</summary>
    public Tensor? Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MultiMarginLoss(input, target, P, Margin, Weight, Reduction);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, p={P}, margin={Margin}";
}
