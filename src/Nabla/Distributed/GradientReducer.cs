using Nabla.Engine;

namespace Nabla.Distributed;

/// <summary>
/// Averages a fixed list of parameters' gradients over the ranks, bucket by bucket: the one engine under both
/// <see cref="DistributedDataParallel"/> (gradients handed in by post-accumulate-grad hooks while backward runs) and
/// <see cref="MultiWorkerMirroredStrategy"/> (gradients handed in by <c>Optimizer.ApplyGradients</c>).
/// </summary>
/// <remarks>
/// A round is <see cref="Begin"/>, one <see cref="Ready"/> per parameter (any order), <see cref="Finish"/>. A bucket's
/// all-reduce starts as soon as all its members are in and every earlier bucket has started: MPI pairs the n-th
/// collective of one rank with the n-th of every other, so all ranks must start the buckets in the same order even
/// when their backward passes finish the gradients in different orders.
/// </remarks>
internal sealed partial class GradientReducer
{
    /// <summary>PyTorch's bucket_cap_mb default: 25 MiB.</summary>
    public const double DefaultBucketCapMB = 25;

    readonly ProcessGroup group;
    readonly Tensor[] parameters;
    readonly string[] names;
    readonly string owner;
    readonly (int Bucket, int Slot)[] place;
    readonly bool[] handedIn;
    readonly bool[] hadGradient;
    int nextToLaunch;

    public GradientReducer(ProcessGroup group, IReadOnlyList<Tensor> parameters, IReadOnlyList<string> names, double bucketCapMB, string owner)
    {
        if (!(bucketCapMB > 0))
            throw new ArgumentOutOfRangeException(nameof(bucketCapMB), $"{owner}: the bucket cap must be a positive number of MiB, got {bucketCapMB} (called at {CallSite.Describe()}).");
        this.group = group;
        this.parameters = [.. parameters];
        this.names = [.. names];
        this.owner = owner;
        ParameterLayout.CheckSameOnEveryRank(group, this.parameters, this.names, owner);
        Buckets = MakeBuckets(this.parameters, (long)(bucketCapMB * 1024 * 1024));
        place = new (int, int)[this.parameters.Length];
        for (int b = 0; b < Buckets.Count; b++)
            for (int k = 0; k < Buckets[b].Members.Length; k++) place[Buckets[b].Members[k]] = (b, k);
        handedIn = new bool[this.parameters.Length];
        hadGradient = new bool[this.parameters.Length];
    }

    /// <summary>The buckets, in launch order: the last registered parameters first, as their gradients come first in backward.</summary>
    public IReadOnlyList<GradientBucket> Buckets { get; }

    /// <summary>Whether a round has begun and not finished.</summary>
    public bool InRound { get; private set; }

    public void Begin()
    {
        if (InRound) throw new InvalidOperationException($"internal: {owner}: a gradient reduction round began twice");
        InRound = true;
        nextToLaunch = 0;
        Array.Clear(handedIn);
        Array.Clear(hadGradient);
        foreach (var b in Buckets)
        {
            b.Pending = b.Members.Length;
            b.Reduction = null;
        }
    }

    /// <summary>Copies parameter <paramref name="index"/>'s gradient (null: none this round, counted as zeros) into its bucket.</summary>
    public void Ready(int index, Tensor? gradient)
    {
        if (handedIn[index]) return;   // a second pass over the same graph before the round ends: the first copy stands
        handedIn[index] = true;
        hadGradient[index] = gradient is not null;
        var (b, k) = place[index];
        var bucket = Buckets[b];
        using (Autograd.NoGrad())
        {
            var slot = bucket.Slice(k, parameters[index].Shape);
            if (gradient is null) slot.Zero();
            else slot.CopyFrom(gradient.Detach());
        }
        if (--bucket.Pending == 0) LaunchReadyBuckets();
    }

    /// <summary>The parameters not handed in this round, by name.</summary>
    public IEnumerable<string> Missing => Enumerable.Range(0, parameters.Length).Where(i => !handedIn[i]).Select(i => names[i]);

    /// <summary>
    /// Counts the parameters not handed in as zeros, waits for every bucket, and returns which parameters had a
    /// gradient on some rank (when <paramref name="findUnused"/>: one more small all-reduce; otherwise all true).
    /// Afterwards <see cref="Averaged"/> gives each parameter's average.
    /// </summary>
    public bool[] Finish(bool findUnused)
    {
        for (int i = 0; i < parameters.Length; i++)
            if (!handedIn[i]) Ready(i, null);
        Task? used = null;
        Tensor? usedFlags = null;
        if (findUnused)
        {
            usedFlags = Tensor.FromArray(hadGradient.Select(h => h ? 1 : 0).ToArray(), [parameters.Length]);
            used = group.StartAllReduce(usedFlags, ReduceOp.Max, $"{owner} used-parameter flags", checkShapes: false);
        }
        try
        {
            foreach (var b in Buckets) ProcessGroup.Wait(b.Reduction!, $"{owner} gradient all-reduce");
            if (used is not null) ProcessGroup.Wait(used, $"{owner} used-parameter flags");
        }
        finally { InRound = false; }
        return usedFlags is null ? [.. Enumerable.Repeat(true, parameters.Length)] : [.. usedFlags.ToArray<int>().Select(f => f != 0)];
    }

    /// <summary>Parameter <paramref name="index"/>'s averaged gradient: a view into its bucket, valid until the next round.</summary>
    public Tensor Averaged(int index)
    {
        var (b, k) = place[index];
        return Buckets[b].Slice(k, parameters[index].Shape);
    }

    /// <summary>Overwrites every parameter with rank 0's values: one broadcast per bucket instead of one per parameter.</summary>
    public void BroadcastParametersFromRankZero()
    {
        if (group.Size == 1) return;
        using var _ = Autograd.NoGrad();
        foreach (var bucket in Buckets)
        {
            for (int k = 0; k < bucket.Members.Length; k++)
                bucket.Slice(k, parameters[bucket.Members[k]].Shape).CopyFrom(parameters[bucket.Members[k]].Detach());
            group.BroadcastInPlace(bucket.Flat, root: 0);
            for (int k = 0; k < bucket.Members.Length; k++)
                parameters[bucket.Members[k]].Detach().CopyFrom(bucket.Slice(k, parameters[bucket.Members[k]].Shape));
        }
    }

    void LaunchReadyBuckets()
    {
        while (nextToLaunch < Buckets.Count && Buckets[nextToLaunch].Pending == 0)
        {
            var bucket = Buckets[nextToLaunch];
            bucket.Reduction = group.StartAllReduce(bucket.Flat, ReduceOp.Average, $"{owner} bucket {nextToLaunch}", checkShapes: false);
            nextToLaunch++;
        }
    }

    // Reverse registration order (backward meets the last layer first), one dtype per bucket, up to the cap in bytes;
    // a parameter larger than the cap gets a bucket of its own.
    static List<GradientBucket> MakeBuckets(Tensor[] parameters, long capBytes)
    {
        var buckets = new List<GradientBucket>();
        foreach (var dtypeGroup in Enumerable.Range(0, parameters.Length).Reverse().GroupBy(i => parameters[i].DType))
        {
            var members = new List<int>();
            long bytes = 0;
            foreach (int i in dtypeGroup)
            {
                long size = (long)parameters[i].NumElements * parameters[i].DType.ElementSize();
                if (members.Count > 0 && bytes + size > capBytes)
                {
                    buckets.Add(Make(members, parameters));
                    members = [];
                    bytes = 0;
                }
                members.Add(i);
                bytes += size;
            }
            if (members.Count > 0) buckets.Add(Make(members, parameters));
        }
        return buckets;
    }

    static GradientBucket Make(List<int> members, Tensor[] parameters)
    {
        var offsets = new int[members.Count];
        int total = 0;
        for (int k = 0; k < members.Count; k++)
        {
            offsets[k] = total;
            total += parameters[members[k]].NumElements;
        }
        return new GradientBucket([.. members], offsets, Tensor.Zeros([total], parameters[members[0]].DType));
    }
}
