using System.Diagnostics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// A fixed team of persistent worker threads for kernels that split one call across cores. Handing
/// work to <see cref="Parallel.For(int, int, Action{int})"/> costs a task per call and a thread-pool
/// wake-up; that is tens of microseconds, as long as a whole 256 x 256 product on two cores. Here
/// a worker that has just finished spins for <see cref="SpinMicroseconds"/> (so back-to-back kernels
/// reach it at once), then keeps polling between yields of its core for <see cref="YieldMicroseconds"/>
/// (a kernel after a pause of a collection or a short single-threaded stretch finds it awake: waking a
/// blocked thread on an idle virtual core took tens to hundreds of microseconds here), then blocks on a
/// semaphore until the next call posts work.
/// <para>
/// The team shares a body that claims its own work (an atomic counter, see <see cref="For"/>): the
/// caller runs the body too, and a worker that has not started by the time the caller's body returns
/// is simply withdrawn, so a late or busy worker never delays the call and every piece of work is
/// done exactly once. A call made while the team is busy (another thread, or a body calling back in)
/// runs the body on the calling thread alone.
/// </para>
/// </summary>
internal static class CpuWorkers
{
    /// <summary>How long an idle worker polls for new work before it blocks (a wake-up costs more).</summary>
    public static int SpinMicroseconds { get; set; } = 50;

    /// <summary>
    /// How long an idle worker then polls between yields (<see cref="Thread.Yield"/>: other runnable threads
    /// take the core first) before it blocks. As OpenBLAS's and OpenMP's pools, which poll for milliseconds.
    /// </summary>
    public static int YieldMicroseconds { get; set; } = 2000;

    sealed class Worker
    {
        public Action? Job;          // posted work, taken by the worker or withdrawn by the caller
        public int Sleeping;         // 1 while the worker is (about to be) blocked on Wake
        public readonly SemaphoreSlim Wake = new(0);
    }

    static readonly object Gate = new();
    static Worker[] workers = [];
    static int busy;                 // 1 while one caller owns the team
    static int outstanding;          // posted jobs not yet withdrawn or finished
    static Exception? failure;       // first exception thrown by a worker's body
    [ThreadStatic] static bool onWorker;

    /// <summary>True on a worker thread (it runs a body on behalf of a caller that waits for it).</summary>
    public static bool OnWorker => onWorker;

    /// <summary>
    /// Runs <paramref name="body"/> on the calling thread and on up to <paramref name="helpers"/>
    /// workers at once, and returns when every started copy has returned. The body must claim its
    /// work from shared state, so that one copy alone finishes everything.
    /// </summary>
    public static void Share(int helpers, Action body)
    {
        if (helpers <= 0 || onWorker || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            body();
            return;
        }
        try
        {
            var team = EnsureWorkers(helpers);
            Volatile.Write(ref outstanding, helpers);
            for (int w = 0; w < helpers; w++)
            {
                Interlocked.Exchange(ref team[w].Job, body);
                if (Interlocked.Exchange(ref team[w].Sleeping, 0) == 1) team[w].Wake.Release();
            }
            try
            {
                body();
            }
            finally
            {
                for (int w = 0; w < helpers; w++)
                    if (Interlocked.CompareExchange(ref team[w].Job, null, body) == body)
                        Interlocked.Decrement(ref outstanding);
                var spin = new SpinWait();
                while (Volatile.Read(ref outstanding) != 0) spin.SpinOnce(sleep1Threshold: -1);
            }
            var error = Interlocked.Exchange(ref failure, null);
            if (error is not null) throw new AggregateException(error);
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    /// <summary>
    /// body(i) for every i in [0, count), each exactly once, on the caller and up to
    /// <paramref name="helpers"/> workers; indices are handed out in increasing order.
    /// </summary>
    public static void For(int count, int helpers, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || helpers <= 0)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        var next = new StrongBox<int>();
        Share(Math.Min(helpers, count - 1), () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next.Value) - 1) < count) body(i);
        });
    }

    sealed class StrongBox<TValue> { public TValue Value = default!; }

    static Worker[] EnsureWorkers(int count)
    {
        var team = Volatile.Read(ref workers);
        if (team.Length >= count) return team;
        lock (Gate)
        {
            team = workers;
            if (team.Length >= count) return team;
            var grown = new Worker[count];
            Array.Copy(team, grown, team.Length);
            for (int w = team.Length; w < count; w++)
            {
                var worker = grown[w] = new Worker();
                new Thread(() => Loop(worker)) { IsBackground = true, Name = $"Nabla CPU worker {w + 1}" }.Start();
            }
            Volatile.Write(ref workers, grown);
            return grown;
        }
    }

    static void Loop(Worker me)
    {
        onWorker = true;
        while (true)
        {
            var job = Take(me);
            try
            {
                job();
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
            finally
            {
                Interlocked.Decrement(ref outstanding);
            }
        }
    }

    // Poll for SpinMicroseconds, then poll between yields for YieldMicroseconds, then block until a caller
    // posts work and sees Sleeping set.
    static Action Take(Worker me)
    {
        long spinUntil = 0, yieldUntil = 0;
        void Idle()
        {
            spinUntil = Stopwatch.GetTimestamp() + SpinMicroseconds * Stopwatch.Frequency / 1_000_000;
            yieldUntil = spinUntil + YieldMicroseconds * Stopwatch.Frequency / 1_000_000;
        }
        Idle();
        while (true)
        {
            var job = Volatile.Read(ref me.Job);
            if (job is not null)
            {
                if (Interlocked.CompareExchange(ref me.Job, null, job) == job) return job;
                continue;
            }
            long now = Stopwatch.GetTimestamp();
            if (now > yieldUntil)
            {
                Interlocked.Exchange(ref me.Sleeping, 1);
                if (Volatile.Read(ref me.Job) is null) me.Wake.Wait();
                Interlocked.Exchange(ref me.Sleeping, 0);
                Idle();
            }
            else if (now > spinUntil) Thread.Yield();
            else Thread.SpinWait(8);
        }
    }
}
