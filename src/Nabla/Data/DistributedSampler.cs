using Nabla.Distributed;
using Nabla.Engine;

namespace Nabla.Data;

/// <summary>
/// Gives each rank of a data-parallel run its own shard of the dataset, as PyTorch's
/// <c>torch.utils.data.DistributedSampler</c>: every rank computes the same epoch order (a permutation drawn
/// from <see cref="Seed"/> + epoch when shuffling, else 0, 1, …), pads it by repeating indices from its start
/// until its length is a multiple of <see cref="NumReplicas"/> (or, with <see cref="DropLast"/>, cuts the tail
/// instead), and rank r takes positions r, r + N, r + 2N, … So every rank gets <see cref="Count"/> indices, the
/// shards are disjoint apart from the padding, and their union is the dataset (less the dropped tail).
/// </summary>
/// <remarks>
/// Given to a <see cref="DataLoader"/> (<c>sampler:</c>), the loader's <see cref="DataLoader.Epoch"/> picks the
/// permutation, so each epoch reshuffles without a <c>set_epoch</c> call; <see cref="SetEpoch"/> is there for
/// PyTorch habits and sets the epoch of the loader's next enumeration.
/// </remarks>
/// <example><code>
/// var world = ProcessGroup.Init();
/// var sampler = new DistributedSampler(train, world, shuffle: true, seed: 1);
/// var loader = new DataLoader(train, batchSize: 64 / world.Size, sampler: sampler);
/// foreach (var batch in loader) { ... }   // this rank's shard, a new permutation each epoch
/// </code></example>
public sealed class DistributedSampler : ISampler
{
    int? _requestedEpoch;

    /// <summary>
    /// A sampler over <paramref name="datasetCount"/> samples for rank <paramref name="rank"/> of
    /// <paramref name="numReplicas"/> (torch's <c>num_replicas</c>, <c>rank</c>, <c>shuffle</c>, <c>seed</c>, <c>drop_last</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A negative count, fewer than one replica, or a rank outside 0..numReplicas − 1.</exception>
    public DistributedSampler(int datasetCount, int numReplicas, int rank, bool shuffle = true, long seed = 0, bool dropLast = false)
    {
        const string op = "DistributedSampler";
        if (datasetCount < 0) throw Errors.Arg(op, $"the dataset has a negative count ({datasetCount}).");
        if (numReplicas < 1) throw Errors.Arg(op, $"numReplicas is {numReplicas}; it must be at least 1 (the number of ranks in the run).");
        if (rank < 0 || rank >= numReplicas)
            throw Errors.Arg(op, $"rank {rank} is out of range for {numReplicas} replica(s); valid ranks are 0..{numReplicas - 1}. " +
                "Pass the process group's Rank and Size (or construct from the ProcessGroup).");
        DatasetCount = datasetCount;
        NumReplicas = numReplicas;
        Rank = rank;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        // torch: with drop_last and a remainder, each rank gets floor(len / N); otherwise ceil(len / N).
        Count = dropLast ? datasetCount / numReplicas : (datasetCount + numReplicas - 1) / numReplicas;
    }

    /// <summary>A sampler over <paramref name="dataset"/> for <paramref name="group"/>'s rank and size.</summary>
    public DistributedSampler(Dataset dataset, ProcessGroup group, bool shuffle = true, long seed = 0, bool dropLast = false)
        : this(CountOf(dataset), (group ?? throw new ArgumentNullException(nameof(group))).Size, group.Rank, shuffle, seed, dropLast) { }

    /// <summary>
    /// A sampler over <paramref name="dataset"/> for <see cref="ProcessGroup.Current"/>'s rank and size (a one-rank
    /// sampler, the whole dataset, when no group was initialized).
    /// </summary>
    public DistributedSampler(Dataset dataset, bool shuffle = true, long seed = 0, bool dropLast = false)
        : this(CountOf(dataset), ProcessGroup.Current?.Size ?? 1, ProcessGroup.Current?.Rank ?? 0, shuffle, seed, dropLast) { }

    /// <summary>Samples in the dataset.</summary>
    public int DatasetCount { get; }

    /// <summary>Ranks sharing the dataset (torch's <c>num_replicas</c>).</summary>
    public int NumReplicas { get; }

    /// <summary>This rank's shard (0..<see cref="NumReplicas"/> − 1).</summary>
    public int Rank { get; }

    /// <summary>Whether each epoch uses a new permutation (the same on every rank).</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of the permutations; must be the same on every rank.</summary>
    public long Seed { get; }

    /// <summary>Whether the tail that does not divide evenly is dropped rather than padded.</summary>
    public bool DropLast { get; }

    /// <summary>Indices per rank per epoch (torch's <c>num_samples</c>).</summary>
    public int Count { get; }

    /// <summary>Indices of one epoch over all ranks: <see cref="Count"/> × <see cref="NumReplicas"/> (torch's <c>total_size</c>).</summary>
    public int TotalSize => Count * NumReplicas;

    /// <summary>
    /// Sets the epoch the next enumeration of a <see cref="DataLoader"/> using this sampler starts with (PyTorch's
    /// <c>set_epoch</c>); later enumerations count on from it. Not needed with Nabla's loader, which counts epochs itself.
    /// </summary>
    public void SetEpoch(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        _requestedEpoch = epoch;
    }

    /// <summary>The epoch given to <see cref="SetEpoch"/> and not yet taken by a loader, cleared by this call.</summary>
    internal int? TakeRequestedEpoch()
    {
        var e = _requestedEpoch;
        _requestedEpoch = null;
        return e;
    }

    /// <summary>This rank's indices for epoch <paramref name="epoch"/>: positions Rank, Rank + N, … of the padded (or cut) epoch order.</summary>
    public int[] Order(int epoch)
    {
        var all = Shuffle ? Permutation.Random(DatasetCount, Seed, epoch) : Permutation.Identity(DatasetCount);
        var shard = new int[Count];
        // Position k of the padded order is all[k mod len]: padding repeats from the start, as many times as needed.
        for (int i = 0; i < shard.Length; i++) shard[i] = all[(Rank + i * NumReplicas) % all.Length];
        return shard;
    }

    static int CountOf(Dataset dataset) => (dataset ?? throw new ArgumentNullException(nameof(dataset))).Count;
}
