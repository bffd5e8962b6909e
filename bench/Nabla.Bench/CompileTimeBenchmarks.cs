using System.Runtime.InteropServices;

namespace Nabla.Bench;

/// <summary>
/// Compile time: one trace, the graph passes and the first replay (<c>Graph.Compile(f)</c>, then two calls: the first
/// traces and runs eagerly, the second plans and runs the replay; with grad on it also traces the joint backward) of
/// functions of 100, 1,000 and 10,000 ops on 16-element float32 tensors, in ms and as a ratio to one eager call of the
/// same function. Two shapes: the <c>compiled_overhead</c> chain (each op reads the last, b or c), and a fan-out /
/// fan-in (branches that all read x, b and c, half of them alike, summed one by one) where CSE, fusion and DCE see
/// values with many readers. One thread only (nothing of a compile runs in parallel). On Linux the same medians are also
/// given in the calling thread's CPU time (<c>*_cpu</c> modes): on a shared machine the wall time of a 0.5 ms compile
/// moves with the other processes' load, its CPU time much less (collections on the calling thread are counted,
/// background ones are not). The 100-op chain without grad is also timed by stage (<see cref="CompileTimeBreakdown"/>).
/// </summary>
internal static class CompileTimeBenchmarks
{
    public static void CompileTime(int threads, bool quick)
    {
        if (threads != 1) return;   // 16-element tensors: nothing runs in parallel, a second thread count would repeat the row
        var b = Harness.Uniform(4, [16], requiresGrad: true);
        var c = Harness.Uniform(5, [16], 0.5f, 1.5f, requiresGrad: true);
        var x = Harness.Uniform(3, [16]);
        Func<Tensor, Tensor> Chain(int ops) => y =>
        {
            for (int i = 0; i < ops; i++)
                y = (i % 3) switch { 0 => y + b, 1 => y * c, _ => y.Tanh() };
            return y;
        };
        Func<Tensor, Tensor> FanOut(int ops) => y =>
        {
            // 4 ops per branch: 3 for the branch, 1 to add it to the sum.
            Tensor? sum = null;
            for (int k = 0; k < ops / 4; k++)
            {
                var branch = k % 2 == 0 ? (y * c + b).Tanh() : (y + b).Tanh() * c;
                sum = sum is null ? branch : sum + branch;
            }
            return sum!;
        };

        foreach (var (shape, make) in new (string, Func<int, Func<Tensor, Tensor>>)[] { ("chain", Chain), ("fan_out", FanOut) })
            foreach (int ops in new[] { 100, 1000, 10_000 })
            {
                var f = make(ops);
                int reps = ops switch { <= 100 => quick ? 9 : 21, <= 1000 => quick ? 5 : 9, _ => 3 };
                foreach (bool grad in new[] { false, true })
                {
                    IDisposable Scope() => Autograd.SetGradEnabled(grad);
                    void Compile() { using var s = Scope(); var cf = Graph.Compile(f); cf.Call(x); cf.Call(x); }
                    // Tiered JIT: warmed up, the eager call and the compile both run optimized code (a cold process pays more for both).
                    Harness.WarmUp(() => { using var s = Scope(); f(x); Compile(); }, minSeconds: ops >= 10_000 ? 0 : quick ? 1 : 2);
                    // Several calls and compiles per rep for the small functions: the first tensors after a rep's full
                    // collection cost more (measured: ~0.8 ms of CPU for the 100-op chain's 10 eager calls after one), which
                    // would otherwise be most of a 100-op eager call.
                    int inner = Math.Max(1, 10_000 / ops), compiles = Math.Max(1, 2000 / ops);
                    void Compiles() { for (int k = 0; k < compiles; k++) Compile(); }
                    void Eager() { using var s = Scope(); for (int k = 0; k < inner; k++) f(x); }
                    SettleJit(reps, Eager, Compile);
                    // The eager call is timed before and after the compiles, and the faster median kept (see SettleJit).
                    double eagerBefore = Harness.Median(reps, Eager) / inner;
                    double compile = Harness.Median(reps, Compiles) / compiles;
                    double eager = Math.Min(eagerBefore, Harness.Median(reps, Eager) / inner);
                    void Report(string mode, string unit, double value) =>
                        Harness.Report("compile_time", unit, value, false,
                            ("shape", shape), ("ops", ops), ("mode", mode), ("grad", grad), ("elements", 16), ("threads", threads), ("reps", reps), ("compiles_per_rep", compiles), ("eager_calls_per_rep", inner));
                    Report("compile", "ms", compile * 1e3);
                    Report("eager_call", "ms", eager * 1e3);
                    Report("compile_vs_eager_call", "ratio", compile / eager);
                    if (!OperatingSystem.IsLinux()) continue;
                    double eagerCpuBefore = MedianCpu(reps, Eager) / inner;
                    double compileCpu = MedianCpu(reps, Compiles) / compiles;
                    double eagerCpu = Math.Min(eagerCpuBefore, MedianCpu(reps, Eager) / inner);
                    Report("compile_cpu", "ms", compileCpu * 1e3);
                    Report("eager_call_cpu", "ms", eagerCpu * 1e3);
                    Report("compile_vs_eager_call_cpu", "ratio", compileCpu / eagerCpu);
                    if (shape == "chain" && ops == 100 && !grad)
                        using (Scope()) CompileTimeBreakdown.Run(f, x, (mode, unit, value) => Report(mode, unit, value));
                }
            }
    }

    /// <summary>
    /// Warms up until the eager call stops getting faster (at most 10 s): the tiered JIT recompiles hot methods on a
    /// background thread, which on a loaded machine ran seconds late, so the first row of a process timed an eager call
    /// still in unoptimized code (0.07-0.13 ms against 0.013 ms, in CPU time too) after the fixed warm-up.
    /// </summary>
    static void SettleJit(int reps, Action eager, Action compile)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double best = Harness.Median(reps, eager);
        int steady = 0;   // rounds in a row without a gain: one such round was seen mid-tiering
        while (clock.Elapsed.TotalSeconds < 10 && (steady < 2 || clock.Elapsed.TotalSeconds < 2))
        {
            for (int k = 0; k < 5; k++) compile();
            Thread.Sleep(100);   // lets the JIT's background thread run
            double now = Harness.Median(reps, eager);
            steady = now > 0.9 * best ? steady + 1 : 0;
            best = Math.Min(best, now);
        }
    }

    /// <summary>The median CPU time in seconds the calling thread spent in <paramref name="reps"/> runs of <paramref name="body"/> (a full GC before each).</summary>
    static double MedianCpu(int reps, Action body)
    {
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            double start = ThreadCpuSeconds();
            body();
            times[r] = ThreadCpuSeconds() - start;
        }
        Array.Sort(times);
        return times[reps / 2];
    }

    [StructLayout(LayoutKind.Sequential)]
    struct TimeSpec { public long Seconds, Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out TimeSpec time);

    const int ClockThreadCpuTime = 3;   // CLOCK_THREAD_CPUTIME_ID

    internal static double ThreadCpuSeconds() => ClockGetTime(ClockThreadCpuTime, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9
        : throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
}
