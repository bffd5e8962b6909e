namespace Nabla.NN;

/// <summary>How a loss reduces its per-element values, as PyTorch's <c>reduction=</c> argument.</summary>
public enum Reduction
{
    /// <summary>The mean over elements (for weighted losses: divided by the sum of the weights used).</summary>
    Mean,

    /// <summary>The sum over elements.</summary>
    Sum,

    /// <summary>No reduction: one loss value per element (per sample for class losses).</summary>
    None,

    /// <summary>
    /// The sum divided by the batch size (dim 0's length): only <see cref="Functional.KLDiv"/> takes it, as
    /// PyTorch's <c>reduction='batchmean'</c> (the true KL divergence per sample); every other loss rejects it.
    /// </summary>
    BatchMean,
}
