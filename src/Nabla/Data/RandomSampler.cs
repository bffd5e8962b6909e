namespace Nabla.Data;

/// <summary>
/// Visits every sample once per epoch in a random order that is a pure function of (<see cref="Seed"/>, epoch)
/// (PyTorch's <c>RandomSampler</c> without replacement; a loader's default with <c>shuffle: true</c>).
/// </summary>
public sealed class RandomSampler : ISampler
{
    /// <summary>A sampler over <paramref name="count"/> samples whose orders come from <paramref name="seed"/>.</summary>
    public RandomSampler(int count, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
        Seed = seed;
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <summary>The seed of the orders.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public int[] Order(int epoch) => Permutation.Random(Count, Seed, epoch);
}
