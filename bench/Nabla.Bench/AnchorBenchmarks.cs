using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Bench;

/// <summary>
/// The machine's anchors: what these cores and this memory can do at best, measured in the same run as
/// Nabla's rows so that each Nabla figure can be read as a fraction of a ceiling. <c>fma_peak</c> is the
/// arithmetic ceiling (a register-resident FMA loop), <c>copy_bandwidth</c> the memory ceiling (a large
/// copy), and <c>matmul</c> with <c>peer</c> = OpenBLAS what a tuned GEMM reaches on the same sizes as
/// <see cref="Benchmarks.MatMul"/>. None of them runs through Nabla: the threads are the bench's own
/// (1 or <c>threads</c>), not <see cref="Backends.Cpu.CpuParallel"/>'s.
/// </summary>
internal static partial class AnchorBenchmarks
{
    /// <summary>The anchors, added last to Program.cs's list. "--filter matmul" selects Nabla's matmul and
    /// OpenBLAS's.</summary>
    public static readonly (string Name, Action<int, bool> Run)[] Workloads =
    [
        ("matmul_openblas", MatMulOpenBlas),
        ("fma_peak", FmaPeak),
        ("copy_bandwidth", CopyBandwidth),
    ];

    /// <summary>
    /// GFLOP/s of independent FMA chains held in registers: each of <c>threads</c> threads runs the same
    /// loop, so the figure is the sum over threads. Vector512 where the JIT accelerates it, else Vector256
    /// with FMA; a CPU with neither is skipped with a reason on stderr. Also reported, when /proc/cpuinfo
    /// gives a clock: flops per cycle per thread at that clock.
    /// </summary>
    public static void FmaPeak(int threads, bool quick)
    {
        int bits = Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? 512
            : Vector256.IsHardwareAccelerated && Fma.IsSupported ? 256 : 0;
        if (bits == 0)
        {
            Console.Error.WriteLine("# fma_peak: skipped: neither Vector512 nor Vector256 with FMA is accelerated on this CPU");
            return;
        }
        long iterations = quick ? 10_000_000 : 50_000_000;
        int reps = quick ? 3 : 7;
        Func<long, float> loop = bits == 512 ? FmaLoop512 : FmaLoop256;
        void Body() => OnThreads(threads, _ => Sink(loop(iterations)));
        Harness.WarmUp(Body, minRuns: 2, minSeconds: 0.5);
        double seconds = Harness.Median(reps, Body);
        double flops = (double)threads * iterations * FmaAccumulators * (bits / 32) * 2;
        double gflops = flops / seconds / 1e9;
        Harness.Report("fma_peak", "GFLOP/s", gflops, true,
            ("vector_bits", bits), ("accumulators", FmaAccumulators), ("dtype", "float32"), ("threads", threads), ("reps", reps));
        if (CpuInfoMhz() is double mhz)
            Harness.Report("fma_peak", "flop/cycle/thread", gflops / threads / (mhz / 1e3), true,
                ("vector_bits", bits), ("clock_mhz", mhz), ("clock_source", "/proc/cpuinfo cpu MHz"), ("threads", threads), ("reps", reps));
    }

    /// <summary>
    /// GB/s of <c>Span.CopyTo</c> over a 256 MiB float32 array into another (pages touched before timing),
    /// split into <c>threads</c> contiguous parts copied in parallel. Bytes are counted once read and once
    /// written (2 × 256 MiB per copy); the cache-line reads a write may cost are not counted.
    /// </summary>
    public static void CopyBandwidth(int threads, bool quick)
    {
        const int n = 64 << 20; // floats: 256 MiB
        int reps = quick ? 5 : 11;
        var src = new float[n];
        var dst = new float[n];
        src.AsSpan().Fill(1.5f);
        dst.AsSpan().Clear();
        void Body() => OnThreads(threads, t =>
        {
            int start = (int)((long)n * t / threads), end = (int)((long)n * (t + 1) / threads);
            src.AsSpan(start, end - start).CopyTo(dst.AsSpan(start, end - start));
        });
        Harness.WarmUp(Body, minRuns: 3, minSeconds: 0.5);
        double seconds = Harness.Median(reps, Body);
        if (dst[n - 1] != 1.5f) throw new InvalidOperationException("copy_bandwidth: the copy did not copy");
        double bytes = 2.0 * n * sizeof(float);
        Harness.Report("copy_bandwidth", "GB/s", bytes / seconds / 1e9, true,
            ("method", "Span.CopyTo"), ("bytes", (long)n * sizeof(float)), ("ms", Math.Round(seconds * 1e3, 3)), ("threads", threads), ("reps", reps));
    }

    /// <summary>Runs <paramref name="body"/>(0) on the calling thread and body(1 .. threads-1) on new threads,
    /// and returns when all are done. Starting a thread costs tens of microseconds, well under 1% of the
    /// bodies timed here.</summary>
    static void OnThreads(int threads, Action<int> body)
    {
        var workers = new Thread[threads - 1];
        for (int t = 1; t < threads; t++)
        {
            int id = t;
            workers[t - 1] = new Thread(() => body(id)) { IsBackground = true };
            workers[t - 1].Start();
        }
        body(0);
        foreach (var w in workers) w.Join();
    }

    /// <summary>The first "cpu MHz" of /proc/cpuinfo, or null where there is none. In a VM it is the clock the
    /// kernel measured at boot (the TSC's), not the clock the core runs at now.</summary>
    static double? CpuInfoMhz()
    {
        if (!File.Exists("/proc/cpuinfo")) return null;
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
            if (line.StartsWith("cpu MHz", StringComparison.Ordinal) &&
                double.TryParse(line[(line.IndexOf(':') + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz) && mhz > 0)
                return mhz;
        return null;
    }

    static float sink;

    /// <summary>Keeps the loops' results alive so the JIT cannot drop the work.</summary>
    static void Sink(float value) => Volatile.Write(ref sink, value);

    /// <summary>Independent FMA chains per loop: enough to cover FMA latency × FMA ports on current x64 cores
    /// (4 cycles × 2 ports needs 8), few enough to stay in the 16 registers AVX2 has.</summary>
    const int FmaAccumulators = 12;

    // The 12 chains are written out: an array of vectors would live in memory, not registers. Each chain is
    // a ← a·m + c with m just under 1, so the values stay finite and normal however long the loop runs.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static float FmaLoop512(long iterations)
    {
        var m = Vector512.Create(0.9999999f);
        var c = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(1f), a1 = Vector512.Create(2f), a2 = Vector512.Create(3f), a3 = Vector512.Create(4f),
            a4 = Vector512.Create(5f), a5 = Vector512.Create(6f), a6 = Vector512.Create(7f), a7 = Vector512.Create(8f),
            a8 = Vector512.Create(9f), a9 = Vector512.Create(10f), a10 = Vector512.Create(11f), a11 = Vector512.Create(12f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static float FmaLoop256(long iterations)
    {
        var m = Vector256.Create(0.9999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(1f), a1 = Vector256.Create(2f), a2 = Vector256.Create(3f), a3 = Vector256.Create(4f),
            a4 = Vector256.Create(5f), a5 = Vector256.Create(6f), a6 = Vector256.Create(7f), a7 = Vector256.Create(8f),
            a8 = Vector256.Create(9f), a9 = Vector256.Create(10f), a10 = Vector256.Create(11f), a11 = Vector256.Create(12f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
