namespace Nabla.NN;

/// <summary>
/// Cosine embedding loss module (torch.nn.CosineEmbeddingLoss): <see cref="Functional.CosineEmbeddingLoss"/> of two
/// inputs and ±1 labels.
/// </summary>
public sealed class CosineEmbeddingLoss(double margin = 0.0, Reduction reduction = Reduction.Mean) : LossBase(reduction)
{
    /// <summary>The margin for dissimilar pairs (y = -1).</summary>
    public double Margin { get; } = margin;

    /// <summary>The loss of pairs <paramref name="input1"/>, <paramref name="input2"/> with labels <paramref name="target"/>.</summary>
    public Tensor Forward(Tensor input1, Tensor input2, Tensor target) => Functional.CosineEmbeddingLoss(input1, input2, target, Margin, Reduction);

    /// <summary>Runs <see cref="Forward(Tensor, Tensor, Tensor)"/>.</summary>
    public Tensor Call(Tensor input1, Tensor input2, Tensor target) => Invoke([input1, input2, target], a => Forward(a[0]!, a[1]!, a[2]!));

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, margin={Margin}";
}

/// <summary>Margin ranking loss module (torch.nn.MarginRankingLoss): <see cref="Functional.MarginRankingLoss"/>.</summary>
public sealed class MarginRankingLoss(double margin = 0.0, Reduction reduction = Reduction.Mean) : LossBase(reduction)
{
    /// <summary>The margin.</summary>
    public double Margin { get; } = margin;

    /// <summary>The loss of scores <paramref name="input1"/>, <paramref name="input2"/> with ±1 labels <paramref name="target"/>.</summary>
    public Tensor Forward(Tensor input1, Tensor input2, Tensor target) => Functional.MarginRankingLoss(input1, input2, target, Margin, Reduction);

    /// <summary>Runs <see cref="Forward(Tensor, Tensor, Tensor)"/>.</summary>
    public Tensor Call(Tensor input1, Tensor input2, Tensor target) => Invoke([input1, input2, target], a => Forward(a[0]!, a[1]!, a[2]!));

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, margin={Margin}";
}

/// <summary>Triplet margin loss module (torch.nn.TripletMarginLoss): <see cref="Functional.TripletMarginLoss"/>.</summary>
public sealed class TripletMarginLoss(double margin = 1.0, double p = 2, double eps = 1e-6, bool swap = false, Reduction reduction = Reduction.Mean)
    : LossBase(reduction)
{
    /// <summary>The margin.</summary>
    public double Margin { get; } = margin;

    /// <summary>The norm degree of the pairwise distance.</summary>
    public double P { get; } = p;

    /// <summary>Added to each difference before the norm.</summary>
    public double Eps { get; } = eps;

    /// <summary>Whether the distance swap is used.</summary>
    public bool Swap { get; } = swap;

    /// <summary>The loss of <paramref name="anchor"/>, <paramref name="positive"/> and <paramref name="negative"/> embeddings.</summary>
    public Tensor Forward(Tensor anchor, Tensor positive, Tensor negative) =>
        Functional.TripletMarginLoss(anchor, positive, negative, Margin, P, Eps, Swap, Reduction);

    /// <summary>Runs <see cref="Forward(Tensor, Tensor, Tensor)"/>.</summary>
    public Tensor Call(Tensor anchor, Tensor positive, Tensor negative) => Invoke([anchor, positive, negative], a => Forward(a[0]!, a[1]!, a[2]!));

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, margin={Margin}, p={P}, swap={Swap}";
}
