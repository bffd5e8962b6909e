using System.Collections;

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
    /// every batch is built inside <c>MoveNext</c>).
    /// </summary>
    public DataLoader(Dataset dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, long? seed = null, int prefetch = 1)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Prefetch = prefetch;
        Seed = seed ?? DrawSeed();
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

    /// <summary>The seed of the shuffle order (given or drawn at construction).</summary>
    public long Seed { get; }

    /// <summary>
    /// The epoch the next enumeration uses (0 first); each enumeration takes the current value and
    /// adds one. Set it to resume a run or to replay an epoch's order.
    /// </summary>
    public int Epoch { get; set; }

    /// <summary>Number of batches in one epoch.</summary>
    public int Count => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>
    /// The order in which epoch <paramref name="epoch"/> visits the samples: 0, 1, ... without
    /// shuffling, else a permutation (Fisher–Yates driven by counter-based random bits of
    /// (<see cref="Seed"/>, epoch), so it does not depend on anything else).
    /// </summary>
    public int[] Order(int epoch)
    {
        var order = new int[Dataset.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (!Shuffle) return order;
        long epochSeed = unchecked((long)Generator.Bits(Seed, epoch));
        for (int i = order.Length - 1; i > 0; i--)
        {
            // Uniform in [0, i] from 64 random bits (multiply-shift; the bias is below 2^-32).
            int j = (int)(((UInt128)Generator.Bits(epochSeed, i) * (ulong)(i + 1)) >> 64);
            (order[i], order[j]) = (order[j], order[i]);
        }
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
