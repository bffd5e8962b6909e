namespace Nabla.Backends;

/// <summary>
/// Scopes around code that reads or writes a storage's array directly (kernels, loaders, writers), so
/// that <see cref="BufferPool"/> can hand a dead storage's array to a new tensor without ever aliasing
/// an array that some running code still uses.
/// <para>
/// Why this is needed: the JIT may end a tensor's lifetime at its last use, so a kernel that took
/// <c>x.Data&lt;float&gt;()</c> can still be reading the array after the tensor, its storage and the
/// storage's pool lease became unreachable; a GC in between finalizes the lease and returns the array.
/// The rule that makes reuse safe: a logical clock ticks at every outermost scope entry; a returned
/// array is stamped with the clock's value when its lease is finalized; it may be reused only when
/// every scope active at reuse time started after that stamp. Code holding a raw reference obtained
/// it inside a scope that started before the storage died, hence before the stamp, so it blocks reuse
/// until it ends. (A scope's start is published with a plain volatile store: an array reaches the pool
/// only through a GC, and a GC suspends every managed thread, which is a full fence for all of them.)
/// </para>
/// <para>
/// Tensors must not be used from finalizers: finalization order is not defined, so a pool lease may
/// have returned the array of a tensor that another finalizer then reads. Entering a scope on the
/// finalizer thread throws.
/// </para>
/// </summary>
internal static class RawAccess
{
    internal sealed class Slot
    {
        public int Depth;
        public long Start = long.MaxValue;   // long.MaxValue while the thread is outside every scope
        public readonly Thread Owner = Thread.CurrentThread;
    }

    [ThreadStatic] static Slot? threadSlot;
    static Slot[] slots = [];
    static readonly object Gate = new();
    static long clock;
    static int finalizerThreadId = -1;

    /// <summary>The logical clock (the start of the latest outermost scope).</summary>
    public static long Now => Volatile.Read(ref clock);

    /// <summary>Enters a raw-access scope on this thread; dispose it when the raw references are dead.</summary>
    public static Scope Enter()
    {
        var slot = threadSlot ?? Register();
        if (slot.Depth++ == 0)
        {
            if (Environment.CurrentManagedThreadId == Volatile.Read(ref finalizerThreadId))
            {
                slot.Depth--;
                throw new InvalidOperationException(
                    "Nabla tensors cannot be used from a finalizer: finalization order is undefined, so a tensor's " +
                    "buffer may already have been handed to another tensor. Release resources explicitly instead.");
            }
            Volatile.Write(ref slot.Start, Interlocked.Increment(ref clock));
        }
        return new Scope(slot);
    }

    /// <summary>True when this thread is inside a scope (debug checks of raw accessors).</summary>
    public static bool InScope => threadSlot is { Depth: > 0 };

    /// <summary>
    /// The earliest start among active scopes (<see cref="long.MaxValue"/> when none): an array stamped
    /// before it can be reused.
    /// </summary>
    public static long EarliestActiveStart()
    {
        long min = long.MaxValue;
        foreach (var s in Volatile.Read(ref slots))
        {
            long start = Volatile.Read(ref s.Start);
            if (start < min) min = start;
        }
        return min;
    }

    /// <summary>Called by pool leases as they are finalized, so scopes on that thread can be refused.</summary>
    public static void NoteFinalizerThread() => Volatile.Write(ref finalizerThreadId, Environment.CurrentManagedThreadId);

    static Slot Register()
    {
        var slot = new Slot();
        lock (Gate)
        {
            // Drop slots of threads that have ended (thread-pool churn would otherwise grow the list).
            var live = new List<Slot>(slots.Length + 1);
            foreach (var s in slots)
                if (s.Owner.IsAlive) live.Add(s);
            live.Add(slot);
            Volatile.Write(ref slots, live.ToArray());
        }
        threadSlot = slot;
        return slot;
    }

    /// <summary>An entered scope; <see cref="Dispose"/> leaves it.</summary>
    public readonly struct Scope : IDisposable
    {
        readonly Slot slot;
        internal Scope(Slot slot) { this.slot = slot; }

        /// <summary>Leaves the scope; the outermost exit makes this thread block no reuse.</summary>
        public void Dispose()
        {
            if (--slot.Depth == 0) Volatile.Write(ref slot.Start, long.MaxValue);
        }
    }
}
