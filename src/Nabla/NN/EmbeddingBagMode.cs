namespace Nabla.NN;

/// <summary>How <see cref="Functional.EmbeddingBag"/> combines a bag's rows (PyTorch's <c>mode=</c> string).</summary>
public enum EmbeddingBagMode
{
    /// <summary>The sum of the rows (optionally weighted per sample).</summary>
    Sum,

    /// <summary>The mean of the rows (PyTorch's default).</summary>
    Mean,

    /// <summary>The elementwise maximum of the rows.</summary>
    Max,
}
