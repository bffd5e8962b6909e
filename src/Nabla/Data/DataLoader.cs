using System.Collections;
using Nabla.Engine;

namespace Nabla.Data;

/// <summary>
/// Iterates a <see cref="Dataset"/> in batches, as PyTorch's <c>DataLoader</c>: each batch is the
/// dataset's fields stacked along dim 0 (<c>[images [B, ...], labels [B]]</c>). Optionally shuffled,
/// with an order that is a pure function of (seed, epoch): the same seed gives the same batches, and
/// each epoch (each enumeration) a different permutation. With <c>prefetch</c> &gt; 0 a background
/// task assembles the next batches while the caller trains on the current one.
/// </summary>
/// <remarks>
/// Batches are built without recording gradients (data is input, not parameters), and one at a time,
/// so a dataset never sees two calls at once. An exception thrown by the dataset is rethrown, as is,
/// by the <c>MoveNext</c> that would have returned its batch. Leaving a <c>foreach</c> early (or
/// cancelling the token given to <see cref="WithCancellation"/>) stops the background work; when
/// the enumerator's <c>Dispose</c> returns, nothing touches the dataset any more.
/// </remarks>
/// <example><code>
/// var loader = new DataLoader(Mnist.Load(), batchSize: 64, shuffle: true, seed: 1);
/// for (int epoch = 0; epoch &lt; 3; epoch++)
///     foreach (var batch in loader)          // a new permutation each epoch
///     {
///         var (x, y) = (batch[0], batch[1]); // [64, 1, 28, 28] float32, [64] int64
///     }
/// </code></example>
public sealed class DataLoader : IEnumerable<Tensor[]>
{
    /// <summary>
    /// Creates a loader. <paramref name="seed"/> fixes the shuffle order; without it a seed is drawn
    /// from Nabla's global generator (so <c>Tensor.ManualSeed</c> makes runs reproducible).
    /// <paramref name="prefetch"/> is how many batches are assembled ahead in the background (0 = none,
    /// every batch is built inside <c>MoveNext</c>). <paramref name="sampler"/> replaces the default order
    /// (a <see cref="DistributedSampler"/> gives each rank its shard); it excludes <paramref name="shuffle"/>, as in PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">A sampler with <c>shuffle: true</c>, or a sampler that yields more indices than a permutation of the dataset could hold.</exception>
    public DataLoader(Dataset dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, long? seed = null, int prefetch = 1,
        ISampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        if (sampler is not null && shuffle)
            throw Errors.Arg("DataLoader", "sampler and shuffle: true exclude each other (the sampler decides the order); " +
                "drop shuffle and shuffle in the sampler (new DistributedSampler(..., shuffle: true)).");
        if (sampler is DistributedSampler d && d.DatasetCount != dataset.Count)
            throw Errors.Arg("DataLoader", $"the DistributedSampler was made for {d.DatasetCount} samples but the dataset has {dataset.Count}; " +
                "make the sampler from this dataset.");
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Prefetch = prefetch;
        // With a sampler of the caller's, no seed is drawn: the global generator stays where it was.
        Seed = seed ?? (sampler is null ? DrawSeed() : 0);
        Sampler = sampler ?? (shuffle ? new RandomSampler(dataset.Count, Seed) : new SequentialSampler(dataset.Count));
    }

    /// <summary>The dataset the batches come from.</summary>
    public Dataset Dataset { get; }

    /// <summary>Samples per batch (the last batch may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last batch smaller than <see cref="BatchSize"/> is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>How many batches are assembled ahead on a background task.</summary>
    public int Prefetch { get; }

    /// <summary>The seed of the shuffle order (given or drawn at construction; 0 when a sampler was given without one).</summary>
    public long Seed { get; }

    /// <summary>What picks each epoch's sample order: the given sampler, else a <see cref="RandomSampler"/> (shuffle) or <see cref="SequentialSampler"/>.</summary>
    public ISampler Sampler { get; }

    /// <summary>
    /// The epoch the next enumeration uses (0 first); each enumeration takes the current value and
    /// adds one. Set it to resume a run or to replay an epoch's order. It is the epoch the sampler is asked
    /// for, so a <see cref="DistributedSampler"/> reshuffles every epoch without a <c>SetEpoch</c> call
    /// (an epoch given to <see cref="DistributedSampler.SetEpoch"/> replaces it at the next enumeration).
    /// </summary>
    public int Epoch { get; set; }

    /// <summary>Number of batches in one epoch.</summary>
    public int Count => DropLast ? Sampler.Count / BatchSize : (Sampler.Count + BatchSize - 1) / BatchSize;

    /// <summary>
    /// The sample indices epoch <paramref name="epoch"/> visits, from <see cref="Sampler"/>: 0, 1, ... without
    /// shuffling, else a permutation (Fisher–Yates driven by counter-based random bits of
    /// (<see cref="Seed"/>, epoch), so it does not depend on anything else).
    /// </summary>
    public int[] Order(int epoch)
    {
        var order = Sampler.Order(epoch);
        if (order.Length != Sampler.Count)
            throw Errors.State("DataLoader", $"the sampler {Sampler.GetType().Name} returned {order.Length} indices for epoch {epoch} but its Count is {Sampler.Count}.");
        foreach (int index in order)
            if ((uint)index >= (uint)Dataset.Count)
                throw Errors.State("DataLoader", $"the sampler {Sampler.GetType().Name} returned index {index} for epoch {epoch}; the dataset has {Dataset.Count} samples.");
        return order;
    }

    /// <summary>Starts an epoch: the batches of <see cref="Epoch"/>, which then advances by one.</summary>
    public IEnumerator<Tensor[]> GetEnumerator() => Start(CancellationToken.None);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The batches of one epoch, stopping with an <see cref="OperationCanceledException"/> once
    /// <paramref name="cancellationToken"/> is cancelled (background work stops too).
    /// </summary>
    public IEnumerable<Tensor[]> WithCancellation(CancellationToken cancellationToken) => new Epochs(this, cancellationToken);

    IEnumerator<Tensor[]> Start(CancellationToken token)
    {
        if (Sampler is DistributedSampler d && d.TakeRequestedEpoch() is int requested) Epoch = requested;
        int epoch = Epoch++;
        var order = Order(epoch);
        var batches = new int[Count][];
        for (int b = 0; b < batches.Length; b++)
        {
            int start = b * BatchSize;
            batches[b] = order.AsSpan(start, Math.Min(BatchSize, order.Length - start)).ToArray();
        }
        return new BatchEnumerator(Dataset, batches, Prefetch, token);
    }

    static long DrawSeed()
    {
        var (seed, counter) = Generator.Default.Reserve(1);
        return unchecked((long)Generator.Bits(seed, counter));
    }

    sealed class Epochs(DataLoader loader, CancellationToken token) : IEnumerable<Tensor[]>
    {
        public IEnumerator<Tensor[]> GetEnumerator() => loader.Start(token);
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
