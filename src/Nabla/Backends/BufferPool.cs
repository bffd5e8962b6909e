using System.Runtime.InteropServices;

namespace Nabla.Backends;

/// <summary>
/// Reuses the arrays of dead storages for new ones of the same element type and length, so a training
/// loop stops asking the GC for fresh large arrays every step (each one is a large-object-heap
/// allocation: fresh pages, page faults, and a full collection every few megabytes).
/// <para>
/// No <c>Dispose</c> is involved: a pooled storage holds a small finalizable <see cref="PoolLease{T}"/>;
/// when the GC finds the storage dead, the lease's finalizer returns the array here, stamped with
/// <see cref="RawAccess.Now"/>, and <see cref="RawAccess"/> decides when it is safe to reuse. Arrays
/// smaller than <see cref="MinBytes"/> are left to the GC (its gen0 allocation is cheap); the pool holds
/// at most <see cref="EffectiveLimit"/> and lets the GC have anything beyond.
/// </para>
/// </summary>
internal static class BufferPool
{
    /// <summary>Arrays of at least this many bytes are pooled.</summary>
    public const int MinBytes = 32 * 1024;

    /// <summary>
    /// Most bytes the pool keeps for reuse (arrays returned beyond it go to the GC); a full GC runs
    /// after half of it has been handed out (<see cref="NoteHandout"/>). 64 MiB by default (the MLP
    /// training step ran no faster with 128 MiB and peaked 30 MB higher); the
    /// environment variable NABLA_POOL_MB sets it at start-up, 0 turns pooling off.
    /// </summary>
    public static long LimitBytes { get; set; } =
        (long.TryParse(Environment.GetEnvironmentVariable("NABLA_POOL_MB"), out var mb) && mb >= 0 ? mb : 64) << 20;

    /// <summary>Off: every storage gets a fresh array (tests compare results both ways).</summary>
    public static bool Enabled { get; set; } = LimitBytes > 0;

    static long pooledBytes, handedOut;

    /// <summary>Storages served from the pool (tests check that reuse happens).</summary>
    internal static long Hits;

    /// <summary>One lock for every element type: the limit and the eviction order span them all.</summary>
    internal static readonly object Gate = new();

    // Every pooled entry in the order it came back, for evicting the oldest first. Entries rented or
    // evicted are marked Gone and skipped (removed lazily).
    static readonly Queue<PoolEntry> Order = new();
    static int liveEntries;

    /// <summary>Bytes currently held for reuse.</summary>
    public static long PooledBytes { get { lock (Gate) return pooledBytes; } }

    /// <summary>
    /// Counts bytes given to a pooled storage. Dead storages come back only through a GC, and the
    /// runtime's schedule is far too lazy for buffers that live one training step (hundreds of MB pile up
    /// before it collects), so after half the limit has been handed out this runs one. With the large
    /// arrays pointer-free and pooled such a collection is cheap, far cheaper than the runtime's own
    /// per-step collections and page faults without the pool (figures in bench/README.md, "Memory pool").
    /// </summary>
    internal static void NoteHandout(long bytes)
    {
        if (_keeping) return;
        if (bytes > Volatile.Read(ref largest)) Volatile.Write(ref largest, bytes);
        if (Interlocked.Add(ref handedOut, bytes) < EffectiveLimit / 2) return;
        long cycle = Interlocked.Exchange(ref handedOut, 0);
        Interlocked.Exchange(ref sinceYoung, 0);
        RaiseWhenLittleCameBack(cycle);
        // The largest array of the cycle that ends here and of the one before: a size the program stopped asking
        // for (a compiled function's replays keep their own buffers) stops raising the limit after two cycles.
        Volatile.Write(ref largestBefore, Interlocked.Exchange(ref largest, 0));
        GC.Collect();
    }

    static long sinceYoung;

    // Bytes that came back (storages found dead) since the last collection of NoteHandout, and the limit raised by cycles
    // whose collections found little dead.
    static long cameBack, raised;
    static bool lowYield;

    /// <summary>Counts <paramref name="bytes"/> of a dead storage's array back in the pool (the yield of the last collection).</summary>
    internal static void NoteCameBack(long bytes) => Interlocked.Add(ref cameBack, bytes);

    /// <summary>
    /// Ends a cycle of <paramref name="handed"/> bytes handed out: when, two cycles in a row, less than half as many came
    /// back since the last collection, most of what a cycle hands out is still in use when it ends (an eager training step holds its
    /// activations until backward: hundreds of MB for a small GPT), so collecting after every half limit finds little and
    /// the arrays the step frees later never fit the pool: the limit grows fourfold (at most a quarter of the machine's memory).
    /// Measured on the GPT step of examples/CharLM, eager: 1,318 ms with the 64 MiB limit, 332 ms with 1 GiB (bench/README.md,
    /// Session 11). A raised limit stays for the life of the process.
    /// </summary>
    static void RaiseWhenLittleCameBack(long handed)
    {
        long back = Interlocked.Exchange(ref cameBack, 0);
        bool lowBefore = lowYield;
        lowYield = back < handed / 2;
        if (!lowYield || !lowBefore) return;   // two in a row: one-off allocations (a data set, a model) raise nothing
        long next = Math.Min(4 * EffectiveLimit, MemoryCap);
        if (next > Volatile.Read(ref raised)) Volatile.Write(ref raised, next);
    }

    /// <summary>
    /// After a rent the pool could not serve: when arrays of that length came back before (<paramref name="known"/>: the
    /// program drops this size step after step, as a training step's new gradients once the next ZeroGrad lets the last
    /// ones go) and an eighth of the limit was handed out since the last collection, runs a young-generation collection.
    /// The storages that died since are mostly young, so it finds them for a fraction of a full collection's cost, and
    /// their arrays are back for the next rents instead of fresh pages beside them until the next full collection
    /// (<see cref="NoteHandout"/>), which is what set a compiled training step's peak (bench/README.md, "compiled_peak_memory").
    /// </summary>
    internal static void NoteMiss(bool known)
    {
        if (_keeping || !known || Interlocked.Read(ref handedOut) - Interlocked.Read(ref sinceYoung) < LimitBytes / 8) return;
        Interlocked.Exchange(ref sinceYoung, Interlocked.Read(ref handedOut));
        GC.Collect(1, GCCollectionMode.Forced, blocking: true);
    }

    /// <summary>
    /// Collects now and waits for the dead storages' arrays to come back: before something that will hold many
    /// pooled-size arrays for good (a compiled graph's kept buffers, made on its first replay) takes them, so
    /// it takes the arrays of what just died (the tracing call's temporaries) instead of new ones beside them.
    /// </summary>
    internal static void Reclaim()
    {
        if (!Enabled) return;
        Interlocked.Exchange(ref handedOut, 0);
        Interlocked.Exchange(ref sinceYoung, 0);
        ForgetLargest();   // what was in use before the buffers took over sets no limit from now on
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    [ThreadStatic] static bool _keeping;

    /// <summary>
    /// While open, arrays this thread rents are kept for good (a compiled graph's buffers): they are not handouts,
    /// so they neither bring the next collection closer nor raise <see cref="EffectiveLimit"/>, which pace the
    /// arrays that come and go.
    /// </summary>
    internal static KeepScope ForKeeps()
    {
        bool outer = _keeping;
        _keeping = true;
        return new KeepScope(outer);
    }

    /// <summary>The scope of <see cref="ForKeeps"/>.</summary>
    internal readonly struct KeepScope(bool outer) : IDisposable
    {
        public void Dispose() => _keeping = outer;
    }

    static long largest, largestBefore;
    internal static readonly long MemoryCap = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;

    /// <summary>Forgets the largest array seen and any raise by low yields (tests that set a small <see cref="LimitBytes"/>; <see cref="Reclaim"/>).</summary>
    internal static void ForgetLargest()
    {
        Volatile.Write(ref largest, 0);
        Volatile.Write(ref largestBefore, 0);
        Volatile.Write(ref raised, 0);
        Interlocked.Exchange(ref cameBack, 0);
        lowYield = false;
    }

    /// <summary>
    /// <see cref="LimitBytes"/>, raised to eight times the largest pooled array handed out in this cycle or
    /// the one before (at most a quarter of the machine's memory; a cycle ends with a collection of
    /// <see cref="NoteHandout"/>). A collection runs after half of it is handed out, so this keeps several
    /// of the largest tensors per collection: a loop over a few 40 MB tensors (the eager elementwise
    /// benchmark) keeps them all instead of evicting what the next step reuses, and the CNN training
    /// step (14 MB im2col buffers) needs fewer collections (bench/README.md, "Memory pool").
    /// </summary>
    public static long EffectiveLimit =>
        Math.Max(Math.Max(LimitBytes, Volatile.Read(ref raised)),
            Math.Min(8 * Math.Max(Volatile.Read(ref largest), Volatile.Read(ref largestBefore)), MemoryCap));

    /// <summary>Adds an entry, evicting the oldest ones while the limit would be exceeded (caller holds <see cref="Gate"/>).</summary>
    internal static bool Admit(PoolEntry entry)
    {
        long limit = EffectiveLimit;
        if (!Enabled || entry.Bytes > limit) return false;
        while (pooledBytes + entry.Bytes > limit && Order.TryDequeue(out var old))
            if (!old.Gone) { old.RemoveFromBucket(); Taken(old); }
        Order.Enqueue(entry);
        liveEntries++;
        pooledBytes += entry.Bytes;
        NoteCameBack(entry.Bytes);
        return true;
    }

    /// <summary>Marks an entry rented or evicted (caller holds <see cref="Gate"/>).</summary>
    internal static void Taken(PoolEntry entry)
    {
        entry.Gone = true;
        liveEntries--;
        pooledBytes -= entry.Bytes;
        if (Order.Count > 64 && Order.Count > 4 * liveEntries)
        {
            // Rented entries pile up in the queue when nothing is evicted for a long time.
            var live = Order.Where(e => !e.Gone).ToArray();
            Order.Clear();
            foreach (var e in live) Order.Enqueue(e);
        }
    }
}

/// <summary>A free array waiting in the pool.</summary>
internal abstract class PoolEntry
{
    public long Bytes;
    public long Freed;      // RawAccess.Now when its storage was found dead
    public bool Gone;
    public abstract void RemoveFromBucket();
}

/// <summary>The pool for one element type: free arrays by exact length, newest last.</summary>
/// <remarks>
/// Lengths are exact (a storage's array length is its element count, which kernels and views rely on),
/// so a workload whose sizes never repeat leaves a bucket per length it ever returned. A bucket that runs
/// empty stays in the table (a training loop empties and refills the same buckets every step, and
/// dropping them would cost a list and a table insert per tensor), but once empty buckets outnumber the
/// others (and there are more than <see cref="EmptyBucketSlack"/>), they are swept out. The table thus
/// holds at most about twice as many buckets as free arrays, and the free arrays are bounded by the limit.
/// </remarks>
internal static class BufferPool<T> where T : unmanaged
{
    sealed class Entry : PoolEntry
    {
        public readonly T[] Array;

        public Entry(T[] array, long freed)
        {
            Array = array;
            Bytes = (long)array.Length * ElementSize;
            Freed = freed;
        }

        public override void RemoveFromBucket()
        {
            var list = Free[Array.Length];
            list.Remove(this);
            if (list.Count == 0) BucketEmptied();
        }
    }

    static readonly Dictionary<int, List<Entry>> Free = [];

    /// <summary>Empty buckets tolerated before a sweep, however few arrays are pooled.</summary>
    internal const int EmptyBucketSlack = 64;

    static int emptyBuckets;

    /// <summary>Buckets in the length table, empty ones included (tests check it stays bounded).</summary>
    internal static int BucketCount { get { lock (BufferPool.Gate) return Free.Count; } }

    // Caller holds the gate; a bucket has just lost its last entry.
    static void BucketEmptied()
    {
        if (++emptyBuckets <= EmptyBucketSlack || 2 * emptyBuckets <= Free.Count) return;
        foreach (var (length, list) in Free)
            if (list.Count == 0) Free.Remove(length);   // allowed while enumerating (.NET Core 3.0+)
        emptyBuckets = 0;
    }

    static readonly int ElementSize = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>True when arrays of this length are pooled.</summary>
    public static bool Pools(int length) => BufferPool.Enabled && (long)length * ElementSize >= BufferPool.MinBytes;

    /// <summary>An array of exactly <paramref name="length"/> elements (a pooled length): a free one that is safe to reuse, else a new one. Not cleared.</summary>
    public static T[] Rent(int length)
    {
        BufferPool.NoteHandout((long)length * ElementSize);
        if (TryRent(length) is { } reused) return reused;
        BufferPool.NoteMiss(Known(length));
        return GC.AllocateUninitializedArray<T>(length);
    }

    // Whether arrays of this length came back before (the program makes and drops this size over and over).
    static bool Known(int length)
    {
        lock (BufferPool.Gate) return Free.ContainsKey(length);
    }

    /// <summary>A free array of exactly <paramref name="length"/> elements that is safe to reuse, or null.</summary>
    static T[]? TryRent(int length)
    {
        lock (BufferPool.Gate)
        {
            if (!Free.TryGetValue(length, out var list) || list.Count == 0) return null;
            long earliest = RawAccess.EarliestActiveStart();
            // Newest first (warmest in cache); an entry stamped at or after an active scope's start waits.
            for (int i = list.Count - 1; i >= 0; i--)
            {
                var entry = list[i];
                if (entry.Freed >= earliest) continue;
                list.RemoveAt(i);
                if (list.Count == 0) BucketEmptied();
                BufferPool.Taken(entry);
                BufferPool.Hits++;
                return entry.Array;
            }
            return null;
        }
    }

    /// <summary>Takes back the array of a storage the GC found dead (called from a lease's finalizer).</summary>
    public static void Return(T[] array, long freed)
    {
        lock (BufferPool.Gate)
        {
            var entry = new Entry(array, freed);
            if (!BufferPool.Admit(entry)) return;
            if (!Free.TryGetValue(array.Length, out var list)) Free[array.Length] = list = [];
            else if (list.Count == 0) emptyBuckets--;
            list.Add(entry);
        }
    }
}

/// <summary>
/// Owned only by a pooled storage; finalized once the storage is unreachable, it returns the array.
/// A separate object keeps the finalizer off every small storage.
/// </summary>
/// <remarks>
/// NB: the lease being finalized is not enough. When a storage dies together with an object whose
/// finalizer resurrects one of its tensors (stores it in a static), both finalizers are queued by the
/// same collection in an undefined order; returning the array then would let a new tensor share it with
/// the resurrected one. So the lease also holds a weak handle that tracks resurrection on the storage:
/// the GC clears it only when the storage's memory is reclaimed, i.e. when nothing at all, not even an
/// object awaiting finalization, can reach it. While the handle is still set, the finalizer re-registers
/// itself and waits for a later collection. In the ordinary case (no finalizer holds the storage) the
/// handle is already clear on the first run, so arrays come back after one collection as before.
/// </remarks>
internal sealed class PoolLease<T> where T : unmanaged
{
    readonly T[] array;
    GCHandle storage;

    public PoolLease(T[] array, Storage<T> owner)
    {
        this.array = array;
        storage = GCHandle.Alloc(owner, GCHandleType.WeakTrackResurrection);
    }

    /// <summary>Times this lease's finalizer found its storage still reachable and waited (tests).</summary>
    internal static long Deferred;

    ~PoolLease()
    {
        RawAccess.NoteFinalizerThread();
        if (storage.Target is not null)
        {
            // Something awaiting finalization still reaches the storage and may resurrect it: wait.
            Interlocked.Increment(ref Deferred);
            GC.ReRegisterForFinalize(this);
            return;
        }
        storage.Free();
        BufferPool<T>.Return(array, RawAccess.Now);
    }
}
