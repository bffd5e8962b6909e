using System.Diagnostics;
using System.Globalization;
using Bench.Shared;
using Nabla.Backends.Cpu;
using Nabla.Distributed;

namespace Nabla.Bench;

/// <summary>
/// allreduce: Nabla's all-reduce against the same MPI call made from a plain C-style loop, in the same processes,
/// under mpirun (bench/distributed.sh). Every rank runs the same sequence; rank 0 prints the JSON lines and a table.
/// Modes per message size (float32, Sum):
/// <list type="bullet">
/// <item>raw: <c>for (...) MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD)</c> on a pinned
/// float[], through Open MPI's function pointer: what a C program would write, the baseline.</item>
/// <item>raw_nonblocking: the same with MPI_Iallreduce + an MPI_Test loop, what Nabla's MPI thread calls underneath
/// (so a gap between raw and inplace can be split into Open MPI's non-blocking path and Nabla's own cost).</item>
/// <item>inplace: <see cref="ProcessGroup.AllReduceInPlace"/> on a contiguous tensor (the issue's ratio ≥ 0.95 row).</item>
/// <item>returning: <see cref="ProcessGroup.AllReduce(Tensor, ReduceOp)"/> (a copy of the input, then the same).</item>
/// <item>bucket: the internal StartAllReduce without the per-call shape check, as DistributedDataParallel's gradient
/// buckets call it (their layout is checked once at set-up), waited on at once.</item>
/// </list>
/// Run with NABLA_DETERMINISTIC=1, inplace and returning use the deterministic (gather, then rank-ordered sum) path.
/// </summary>
internal static unsafe partial class DistributedBenchmarks
{
    /// <summary>Runs the distributed rows when the arguments hold --distributed; null otherwise.</summary>
    public static int? RunChild(string[] args)
    {
        if (!args.Contains("--distributed")) return null;
        bool quick = args.Contains("--quick");
        CpuParallel.Threads = 1;   // one rank per core: the ranks are the parallelism
        using var world = ProcessGroup.Init();
        if (world.Size < 2)
        {
            Console.Error.WriteLine("Nabla.Bench --distributed: this process is a one-rank group; start it under mpirun: bash bench/distributed.sh");
            return 2;
        }
        AllReduceThroughput(world, quick);
        DdpStep(world, quick);
        return 0;
    }

    const int Kib = 1024;

    static void AllReduceThroughput(ProcessGroup world, bool quick)
    {
        int[] sizes = quick ? [4 * Kib, 256 * Kib, 16 * Kib * Kib] : [4 * Kib, 16 * Kib, 64 * Kib, 256 * Kib, Kib * Kib, 4 * Kib * Kib, 16 * Kib * Kib, 64 * Kib * Kib];
        int blocks = quick ? 3 : 7;
        string determinism = (world.Deterministic ? "deterministic" : "default") + (world.Checked ? "" : ", unchecked (NABLA_DIST_CHECKS=0)");
        if (world.IsMain)
            Console.Error.WriteLine($"# allreduce: {world.Size} ranks, float32 Sum, {determinism} mode, median of {blocks} blocks; " +
                "ratio = raw time / mode time (1 = as fast as the C-style loop)");
        CheckSum(world);
        var table = new List<string>();
        foreach (int bytes in sizes)
        {
            int n = bytes / sizeof(float);
            // Enough calls per timed block that the block is long against the timer and the barrier before it.
            int calls = Math.Clamp(16 * Kib * Kib / bytes, 4, 1000);
            // Zeros: a sum's speed does not depend on the values, and zeros stay finite over thousands of in-place sums.
            var raw = GC.AllocateArray<float>(n, pinned: true);
            var tensor = Tensor.Zeros([n]);
            var modes = new (string Name, Func<int, double> Block)[]
            {
                ("raw", k => RawLoop(world, raw, k, blocking: true)),
                ("raw_nonblocking", k => RawLoop(world, raw, k, blocking: false)),
                ("inplace", k => Time(world, k, () => world.AllReduceInPlace(tensor))),
                ("returning", k => Time(world, k, () => world.AllReduce(tensor))),
                ("bucket", k => Time(world, k, () => ProcessGroup.Wait(world.StartAllReduce(tensor, ReduceOp.Sum, "bench bucket", checkShapes: false), "bench"))),
            };
            foreach (var (_, block) in modes) block(Math.Min(calls, 8));   // JIT and Open MPI's first-use set-up
            var times = modes.Select(_ => new double[blocks]).ToArray();
            for (int b = 0; b < blocks; b++)   // interleaved, so a burst of load from elsewhere hits every mode alike
                for (int m = 0; m < modes.Length; m++)
                    times[m][b] = modes[m].Block(calls) / calls;
            double rawTime = Median(times[0]);
            for (int m = 0; m < modes.Length; m++)
            {
                double t = Median(times[m]);
                double algGBps = bytes / t / 1e9;
                double busGBps = algGBps * 2.0 * (world.Size - 1) / world.Size;
                if (!world.IsMain) continue;
                BenchCore.Report("allreduce", "us/call", t * 1e6, false, ("mode", modes[m].Name), ("bytes", bytes), ("ranks", world.Size), ("checked", world.Checked),
                    ("dtype", "float32"), ("determinism", determinism), ("algbw_GBps", Math.Round(algGBps, 3)), ("busbw_GBps", Math.Round(busGBps, 3)),
                    ("ratio_vs_raw", Math.Round(rawTime / t, 3)), ("calls", calls), ("blocks", blocks));
                table.Add($"{FormatBytes(bytes),8} {modes[m].Name,-16} {t * 1e6,12:F1} {algGBps,10:F3} {busGBps,10:F3} {rawTime / t,8:F3}");
            }
        }
        if (!world.IsMain) return;
        Console.Error.WriteLine($"{"size",8} {"mode",-16} {"us/call",12} {"algbw GB/s",10} {"busbw GB/s",10} {"ratio",8}");
        foreach (var line in table) Console.Error.WriteLine(line);
    }

    // The rows are worthless if a mode reduces nothing: every rank contributes rank + 1, so every element must end as
    // N(N+1)/2 by each path before anything is timed.
    static void CheckSum(ProcessGroup world)
    {
        float expected = world.Size * (world.Size + 1) / 2f;
        var raw = GC.AllocateArray<float>(1000, pinned: true);
        Array.Fill(raw, world.Rank + 1f);
        RawLoop(world, raw, 1, blocking: true);
        var viaNonBlocking = GC.AllocateArray<float>(1000, pinned: true);
        Array.Fill(viaNonBlocking, world.Rank + 1f);
        RawLoop(world, viaNonBlocking, 1, blocking: false);
        var t = Tensor.Full([1000], world.Rank + 1f);
        var returned = world.AllReduce(t);
        world.AllReduceInPlace(t);
        var bucket = Tensor.Full([1000], world.Rank + 1f);
        ProcessGroup.Wait(world.StartAllReduce(bucket, ReduceOp.Sum, "bench bucket", checkShapes: false), "bench");
        foreach (var (name, values) in new[] { ("raw", raw), ("raw_nonblocking", viaNonBlocking), ("inplace", t.ToArray<float>()),
            ("returning", returned.ToArray<float>()), ("bucket", bucket.ToArray<float>()) })
            if (values.Any(v => v != expected))
                throw new InvalidOperationException($"allreduce bench: mode {name} gave {values.First(v => v != expected)} on rank {world.Rank}, expected {expected}");
    }

    static double Time(ProcessGroup world, int calls, Action call)
    {
        Settle(world);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) call();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    // MPI was initialized MPI_THREAD_SERIALIZED on Nabla's MPI thread, which also polls for other ranks' queries while
    // idle, so a second thread may not call MPI concurrently. The C-style loop therefore runs on that thread, as the
    // body of one queued item: the timer is inside it, so none of Nabla's hand-off is counted against the baseline.
    static double RawLoop(ProcessGroup world, float[] buffer, int calls, bool blocking)
    {
        Settle(world);
        var mpi = world.Mpi;
        double seconds = 0;
        var loop = new Collective($"bench raw MPI loop (float32 [{buffer.Length}] x {calls})");
        loop.Finish = () =>
        {
            fixed (float* p = buffer)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++)
                {
                    if (blocking)
                    {
                        MpiLibrary.Check(mpi.Allreduce((void*)MpiLibrary.InPlace, p, buffer.Length, mpi.Float32, mpi.OpSum, mpi.CommWorld), "MPI_Allreduce");
                        continue;
                    }
                    nint request;
                    MpiLibrary.Check(mpi.Iallreduce((void*)MpiLibrary.InPlace, p, buffer.Length, mpi.Float32, mpi.OpSum, mpi.CommWorld, &request), "MPI_Iallreduce");
                    int done = 0;
                    while (done == 0) MpiLibrary.Check(mpi.Test(&request, &done, null), "MPI_Test");
                }
                seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
        };
        world.Comm!.Run(loop).GetAwaiter().GetResult();
        return seconds;
    }

    // Before each timed block, on every rank: the garbage of the block before collected and its finalizers run (the
    // returning mode's pooled arrays come back through finalizers), then a barrier. Otherwise the runtime's background
    // collection and finalizer threads take a core from a rank during the next block, and with one core per rank the
    // other rank waits for it inside MPI: at 1 MiB that made the in-place mode's median up to 4x slower than its best
    // block, depending only on which mode ran before it.
    static void Settle(ProcessGroup world)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        world.Barrier();
    }

    static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int h = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[h] : 0.5 * (sorted[h - 1] + sorted[h]);
    }

    static string FormatBytes(int bytes) =>
        bytes >= Kib * Kib ? $"{bytes / (Kib * Kib)} MiB" : string.Create(CultureInfo.InvariantCulture, $"{bytes / Kib} KiB");
}
