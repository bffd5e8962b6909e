namespace Nabla.Data;

/// <summary>Visits 0, 1, …, <see cref="Count"/> − 1 every epoch (PyTorch's <c>SequentialSampler</c>; a loader's default without shuffling).</summary>
public sealed class SequentialSampler : ISampler
{
    /// <summary>A sampler over <paramref name="count"/> samples.</summary>
    public SequentialSampler(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public int[] Order(int epoch) => Permutation.Identity(Count);
}
