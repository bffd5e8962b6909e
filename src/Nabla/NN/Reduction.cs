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
}
