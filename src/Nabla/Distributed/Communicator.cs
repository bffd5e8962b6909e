using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Nabla.Distributed;

/// <summary>
/// The thread that drives MPI (as torch's MPI process group does): collectives are queued in the order the rank
/// calls them and run one at a time, so a bucket's all-reduce started during backward proceeds while the user's thread
/// computes. A blocking collective called while nothing is queued or running runs on the caller's thread instead
/// (<see cref="RunInline"/>): handing it to this thread and waking the caller again cost more than a small all-reduce
/// itself. MPI is initialized MPI_THREAD_SERIALIZED, so every MPI call, on either thread, is made holding one lock.
/// Every collective starts with a non-blocking step tested in a loop with a deadline, so nothing waits forever for a
/// rank that never comes (an all-reduce then moves its data with the blocking MPI_Allreduce once all have joined).
/// While it waits (and while idle) the thread answers other ranks' "where are you?" queries, so a rank that times out
/// can name the ranks that did not join and say what each was doing.
/// </summary>
internal sealed unsafe class Communicator : IDisposable
{
    const int QueryTag = 0x4E41, ReplyTag = 0x4E42;

    readonly MpiLibrary mpi;
    readonly TimeSpan timeout;
    readonly BlockingCollection<Collective> queue = new();
    readonly Thread thread;
    readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly List<(GCHandle Buffer, nint Request)> sends = [];
    readonly object mpiGate = new();       // held around every MPI call (MPI_THREAD_SERIALIZED)
    readonly object submitGate = new();    // orders sequence numbers, the queue and inline runs
    int pending;                           // collectives queued or running; an inline run needs none
    int rank = -1, size;
    volatile int abortCode = -1;
    readonly Timer watchdog;
    volatile Collective? inMpi;            // the collective inside a blocking MPI call, for the watchdog
    long inMpiSince;                       // when it entered (Stopwatch timestamp), written before inMpi
    long sequence;
    Collective? current;
    Collective? lastFinished;
    Exception? broken;

    public int Rank => rank;
    public int Size => size;

    public Communicator(MpiLibrary mpi, TimeSpan timeout)
    {
        this.mpi = mpi;
        this.timeout = timeout;
        // A periodic check rather than a timer armed around each blocking call: re-arming a Timer twice per collective
        // cost more than a small all-reduce's own MPI time. A blocking call is thus ended between timeout and timeout
        // plus one period.
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 8, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(2).Ticks));
        watchdog = new Timer(_ => Overdue(), null, period, period);
        thread = new Thread(Loop) { IsBackground = true, Name = "Nabla.Distributed MPI" };
        thread.Start();
        started.Task.GetAwaiter().GetResult();
    }

    /// <summary>Queues a collective; every rank must queue the same collectives in the same order.</summary>
    public Task Run(Collective c)
    {
        lock (submitGate)
        {
            c.Sequence = ++sequence;
            if (broken is { } e) c.Done.SetException(NotRun(c, e));
            else
            {
                pending++;
                queue.Add(c);
            }
        }
        return c.Done.Task;
    }

    /// <summary>
    /// Runs a collective on the calling thread when nothing is queued or running (and the MPI thread is not answering
    /// a query), else queues it; either way returns its finished or pending task. For callers that wait at once.
    /// </summary>
    public Task RunInline(Collective c)
    {
        lock (submitGate)
        {
            if (pending != 0 || broken is not null || rank < 0 || !Monitor.TryEnter(mpiGate)) return Run(c);
            c.Sequence = ++sequence;
            pending++;
        }
        try { Execute(c); }
        finally { Monitor.Exit(mpiGate); }
        return c.Done.Task;
    }

    /// <summary>Ends the run on every rank (MPI_Abort) from the MPI thread; returns when it was asked.</summary>
    public void Abort(int code)
    {
        abortCode = code;
        thread.Join(TimeSpan.FromSeconds(5));
    }

    void Loop()
    {
        try
        {
            int initialized, provided;
            MpiLibrary.Check(mpi.Initialized(&initialized), "MPI_Initialized");
            if (initialized == 0) MpiLibrary.Check(mpi.InitThread(null, null, MpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
            int r, n;
            MpiLibrary.Check(mpi.CommRank(mpi.CommWorld, &r), "MPI_Comm_rank");
            MpiLibrary.Check(mpi.CommSize(mpi.CommWorld, &n), "MPI_Comm_size");
            (rank, size) = (r, n);
        }
        catch (Exception e)
        {
            started.SetException(e);
            return;
        }
        started.SetResult();
        while (true)
        {
            if (abortCode >= 0) { mpi.Abort(mpi.CommWorld, abortCode); return; }
            if (!queue.TryTake(out var c, 20))
            {
                if (queue.IsCompleted) break;
                if (Monitor.TryEnter(mpiGate))   // else a caller runs a collective inline, and answers queries itself
                    try { AnswerQueries(); }
                    finally { Monitor.Exit(mpiGate); }
                continue;
            }
            lock (mpiGate) Execute(c);
        }
        int finalized;
        mpi.Finalized(&finalized);
        if (finalized == 0) mpi.Finalize();
    }

    static DistributedException NotRun(Collective c, Exception earlier) =>
        new($"Nabla.Distributed: {c.Name} not run: an earlier collective failed on this rank ({earlier.Message})");

    // Runs one collective holding mpiGate, on whichever thread. The task is completed last, after pending has dropped,
    // so a caller woken by it finds the communicator idle and can run its next collective inline.
    void Execute(Collective c)
    {
        Exception? failure = null;
        current = c;
        try
        {
            if (broken is { } e) throw NotRun(c, e);
            foreach (var (start, after) in c.Steps)
            {
                Wait(start(mpi), c);
                after?.Invoke();
            }
            if (c.Finish is { } finish)
            {
                // Finish may block inside MPI (MPI_Allreduce), where no deadline can be tested: a watchdog keeps it bounded.
                Volatile.Write(ref inMpiSince, Stopwatch.GetTimestamp());
                inMpi = c;
                try { finish(); }
                finally { inMpi = null; }
            }
        }
        catch (Exception e)
        {
            broken ??= e;
            failure = e;
        }
        finally
        {
            c.Release();
            lastFinished = c;
            current = null;
            lock (submitGate) pending--;
        }
        if (failure is null) c.Done.SetResult();
        else c.Done.SetException(failure);
    }

    // A blocking MPI call outlived the deadline: the other ranks cannot be asked (this thread is inside MPI), so say what
    // is known and end the run, rather than wait forever.
    void Overdue()
    {
        if (inMpi is not { } c || Stopwatch.GetElapsedTime(Volatile.Read(ref inMpiSince)) < timeout) return;
        Console.Error.WriteLine($"Nabla.Distributed: {c.Name} #{c.Sequence} ({c.What}) did not finish within {timeout.TotalSeconds:0.#} s on rank {rank} " +
            $"of {size}: it waits inside MPI for a rank that has not joined. Collectives are unchecked (ProcessGroupOptions.Checked = false " +
            "or NABLA_DIST_CHECKS=0), so the missing rank cannot be named; run with checks on to name it. Ending the run (MPI_Abort).");
        Console.Error.Flush();
        mpi.Abort(mpi.CommWorld, 1);
    }

    void Wait(nint request, Collective c)
    {
        var clock = Stopwatch.StartNew();
        for (int spin = 0; ; spin++)
        {
            int flag;
            MpiLibrary.Check(mpi.Test(&request, &flag, null), $"MPI_Test ({c.Name})");
            if (flag != 0) return;
            if (spin < 2000) continue;          // short collectives finish within a few microseconds of spinning
            Thread.Yield();                     // long ones leave the core to the rank's compute threads
            if ((spin & 255) != 0) continue;
            AnswerQueries();
            if (abortCode >= 0) { mpi.Abort(mpi.CommWorld, abortCode); return; }
            if (clock.Elapsed > timeout) throw TimedOut(c);
        }
    }

    // Every other rank is asked where it is; those that answer within a few seconds say which collective they wait in
    // (or that they are between collectives); the others have exited or are stuck where no MPI call is made.
    DistributedTimeoutException TimedOut(Collective c)
    {
        var query = new long[] { c.Sequence };
        var handle = GCHandle.Alloc(query, GCHandleType.Pinned);
        for (int r = 0; r < size; r++)
        {
            if (r == rank) continue;
            nint request;
            MpiLibrary.Check(mpi.Isend((void*)handle.AddrOfPinnedObject(), 1, mpi.Int64, r, QueryTag, mpi.CommWorld, &request), "MPI_Isend");
            sends.Add((handle, request));
        }
        var answers = new Dictionary<int, string>();
        var clock = Stopwatch.StartNew();
        var grace = TimeSpan.FromSeconds(Math.Min(3, Math.Max(0.5, timeout.TotalSeconds / 2)));
        while (answers.Count < size - 1 && clock.Elapsed < grace)
        {
            AnswerQueries();
            int flag;
            MpiStatus status;
            mpi.Iprobe(MpiLibrary.AnySource, ReplyTag, mpi.CommWorld, &flag, &status);
            if (flag == 0) { Thread.Sleep(1); continue; }
            var reply = new byte[256];
            fixed (byte* p = reply) mpi.Recv(p, reply.Length, mpi.Byte, status.Source, ReplyTag, mpi.CommWorld, &status);
            answers[status.Source] = System.Text.Encoding.UTF8.GetString(reply).TrimEnd('\0');
        }
        var lines = new List<string>();
        for (int r = 0; r < size; r++)
        {
            if (r == rank) continue;
            lines.Add(answers.TryGetValue(r, out var where)
                ? $"rank {r} {where}"
                : $"rank {r} did not answer: it has exited or crashed, or is stuck in its own code without calling MPI");
        }
        return new DistributedTimeoutException(
            $"Nabla.Distributed: {c.Name} #{c.Sequence} ({c.What}) did not finish within {timeout.TotalSeconds:0.#} s on rank {rank} of {size}. " +
            string.Join("; ", lines) + ". Every rank must call the same collectives in the same order; set the limit with " +
            "ProcessGroupOptions.Timeout or NABLA_DIST_TIMEOUT (seconds).");
    }

    void AnswerQueries()
    {
        for (int i = sends.Count - 1; i >= 0; i--)
        {
            var (buffer, request) = sends[i];
            int done;
            mpi.Test(&request, &done, null);
            if (done == 0) { sends[i] = (buffer, request); continue; }
            sends.RemoveAt(i);
            if (!sends.Exists(s => s.Buffer == buffer)) buffer.Free();
        }
        while (true)
        {
            int flag;
            MpiStatus status;
            mpi.Iprobe(MpiLibrary.AnySource, QueryTag, mpi.CommWorld, &flag, &status);
            if (flag == 0) return;
            long asked;
            mpi.Recv(&asked, 1, mpi.Int64, status.Source, QueryTag, mpi.CommWorld, &status);
            var c = current;
            string where = c is not null ? $"waits in {c.Name} #{c.Sequence} ({c.What})"
                : lastFinished is { } last ? $"is between collectives (its last was {last.Name} #{last.Sequence}): busy in its own code"
                : "has not called a collective yet";
            var bytes = new byte[256];
            System.Text.Encoding.UTF8.GetBytes(where, 0, Math.Min(where.Length, 200), bytes, 0);
            var handle = GCHandle.Alloc(bytes, GCHandleType.Pinned);
            nint request;
            mpi.Isend((void*)handle.AddrOfPinnedObject(), bytes.Length, mpi.Byte, status.Source, ReplyTag, mpi.CommWorld, &request);
            sends.Add((handle, request));
        }
    }

    public void Dispose()
    {
        if (queue.IsAddingCompleted) return;
        queue.CompleteAdding();
        thread.Join();
        watchdog.Dispose();
    }
}

/// <summary>
/// One queued collective: its non-blocking MPI steps (each returns its request, and may check what arrived before
/// the next starts), what to do after them (on the MPI thread), and the pinned tensors to release.
/// </summary>
internal sealed class Collective(string name, Tensor? data = null)
{
    public readonly string Name = name;

    /// <summary>What it moves ("float32 [3, 4]"), made only when a message needs it.</summary>
    public string What => data is null ? "no data" : $"{data.DType.TorchName()} {data.Shape}";
    public long Sequence;
    public readonly List<(Func<MpiLibrary, nint> Start, Action? After)> Steps = [];
    public readonly List<IDisposable> Disposables = [];
    public Action? Finish;
    public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release()
    {
        foreach (var d in Disposables) d.Dispose();
        Disposables.Clear();
    }
}
