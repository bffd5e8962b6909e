using Nabla.Backends.Cpu.Kernels.Codegen;

namespace Nabla.Bench;

/// <summary>
/// Row fusion (the graph pass <c>GraphPasses.RowFusion</c>): softmax, log-softmax and layer norm written from primitives
/// on [rows, n] float32, called eagerly (one pass over memory per op, reductions included) and through
/// <see cref="Graph.Compile"/> (one fused_rows op that reads each row once), per call, no grad; the built-in
/// <c>Tensor.Softmax</c>/<c>LogSoftmax</c>/<c>Functional.LayerNorm</c> forms for reference (eager and compiled).
/// GB/s counts x read and y written once (8 bytes per element), as <c>copy_bandwidth</c> counts its bytes. The fused op
/// runs in both kernel modes (<see cref="FusedKernelKind"/>: the per-block interpreter, the generated row kernel; the
/// generated one also with its block kernels off, row by row, <see cref="RowKernelGenerator.BlockKernels"/>), each
/// compared with two copies of this run (a DRAM-sized one as copy_bandwidth, and one of x's size) and with the ceiling a
/// kernel moving x and y once at copy speed would reach over eager code.
/// </summary>
internal static partial class FusionBenchmarks
{
    static readonly (string Name, Func<Tensor, Tensor> Chain)[] RowChains =
    [
        ("softmax_primitives", x =>
        {
            var e = (x - x.Max(-1, keepDim: true)).Exp();
            return e / e.Sum(-1, keepDim: true);
        }),
        ("log_softmax_primitives", x =>
        {
            var s = x - x.Max(-1, keepDim: true);
            return s - s.Exp().Sum(-1, keepDim: true).Log();
        }),
        ("layer_norm_primitives", x =>
        {
            var d = x - x.Mean(-1, keepDim: true);
            return d / ((d * d).Mean(-1, keepDim: true) + 1e-5).Sqrt();
        }),
        ("softmax_functional", x => x.Softmax(-1)),
        ("log_softmax_functional", x => x.LogSoftmax(-1)),
        ("layer_norm_functional", x => NN.Functional.LayerNorm(x, [x.Shape[^1]])),
    ];

    public static void CompiledRows(int threads, bool quick)
    {
        int reps = quick ? 9 : 21;
        using var noGrad = Autograd.NoGrad();
        (int Rows, int N)[] shapes = [(1024, 1024), (64, 10)];
        var saved = FusedKernelMode.Kind;
        // The memory ceilings of this run: a copy as large as copy_bandwidth's (DRAM) and one of x's size (x and y
        // of [1024, 1024] float32 fit in this machine's L3), both Span.CopyTo on `threads` threads.
        double copyDram = CopyGBs(threads, 64 << 20, quick ? 5 : 11);
        Harness.Report("compiled_rows", "GB/s", copyDram, true, ("mode", "copy_256MiB"), ("threads", threads));
        // Every chain once through the JIT's tiers first: timed one after another with only their own warm-up, the
        // first chains of a process measured several times slower than the same chains timed last.
        var warm = shapes.Select(s => Harness.Uniform(11, [s.Rows, s.N], -3, 3)).ToArray();
        var all = RowChains.Select(c => (c.Chain, Compiled: Graph.Compile(c.Chain))).ToArray();
        try
        {
            Harness.WarmUp(() =>
            {
                foreach (var kind in new[] { FusedKernelKind.Interpreter, FusedKernelKind.Codegen })
                {
                    FusedKernelMode.Kind = kind;
                    foreach (var t in warm) foreach (var (chain, compiled) in all) { chain(t); compiled.Call(t); }
                }
            }, minSeconds: quick ? 2 : 5);
            foreach (var (rows, n) in shapes)
            {
                var x = Harness.Uniform(11, [rows, n], -3, 3);
                int inner = Math.Max(10, (1 << 20) / (rows * n));
                double copySame = CopyGBs(threads, rows * n, reps);
                if (rows * n >= 1 << 20)
                    Harness.Report("compiled_rows", "GB/s", copySame, true, ("mode", "copy_same_size"), ("rows", rows), ("n", n), ("threads", threads));
                foreach (var (name, chain) in RowChains)
                    Chain(name, chain, x, rows, n, inner, reps, threads, copyDram, copySame);
            }
        }
        finally
        {
            FusedKernelMode.Kind = saved;
        }
    }

    static void Chain(string name, Func<Tensor, Tensor> chain, Tensor x, int rows, int n, int inner, int reps, int threads, double copyDram, double copySame)
    {
        var compiled = Graph.Compile(chain);
        compiled.Call(x);   // the trace, outside the timing
        if (!compiled.GraphFor(x).Contains("fused_rows"))
            throw new InvalidOperationException($"compiled_rows: {name} was not fused:\n{compiled.GraphFor(x)}");
        Tensor In(FusedKernelKind kind, bool blockKernels = true)
        {
            FusedKernelMode.Kind = kind;
            RowKernelGenerator.BlockKernels = blockKernels;
            return x;
        }
        Harness.WarmUp(() =>
        {
            chain(x);
            compiled.Call(In(FusedKernelKind.Interpreter));
            compiled.Call(In(FusedKernelKind.Codegen));
            compiled.Call(In(FusedKernelKind.Codegen, blockKernels: false));
        }, minSeconds: 0.5);
        // The four timed in turn, rep by rep, so a change of load on this shared machine falls on all of them alike.
        var times = new double[4][];
        for (int m = 0; m < 4; m++) times[m] = new double[reps];
        var watch = new System.Diagnostics.Stopwatch();
        for (int r = 0; r < reps; r++)
            for (int m = 0; m < 4; m++)
            {
                var a = In(m == 1 ? FusedKernelKind.Interpreter : FusedKernelKind.Codegen, blockKernels: m != 3);
                watch.Restart();
                for (int k = 0; k < inner; k++)
                    if (m == 0) chain(a);
                    else compiled.Call(a);
                times[m][r] = watch.Elapsed.TotalSeconds / inner;
            }
        double Median(double[] t) => t.Order().ElementAt(t.Length / 2);
        double eager = Median(times[0]), interpreter = Median(times[1]), codegen = Median(times[2]), rowByRow = Median(times[3]);
        In(FusedKernelKind.Codegen);
        double BytesPerCall(FusedKernelKind kind)
        {
            var a = In(kind);
            compiled.Call(a);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int k = 0; k < inner; k++) compiled.Call(a);
            return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)inner;
        }
        void Report(string mode, string unit, double value, bool higherIsBetter) =>
            Harness.Report("compiled_rows", unit, value, higherIsBetter,
                ("chain", name), ("mode", mode), ("rows", rows), ("n", n), ("dtype", "float32"), ("threads", threads), ("reps", reps));
        double bytes = 8.0 * rows * n;
        Report("eager", "us/call", eager * 1e6, false);
        Report("compiled_interpreter", "us/call", interpreter * 1e6, false);
        Report("compiled_codegen", "us/call", codegen * 1e6, false);
        Report("compiled_codegen_row_by_row", "us/call", rowByRow * 1e6, false);
        Report("eager", "GB/s", bytes / eager / 1e9, true);
        Report("compiled_interpreter", "GB/s", bytes / interpreter / 1e9, true);
        Report("compiled_codegen", "GB/s", bytes / codegen / 1e9, true);
        Report("codegen_of_copy_256MiB", "%", 100 * bytes / codegen / 1e9 / copyDram, true);
        Report("block_kernel_gain", "row_by_row/block", rowByRow / codegen, true);
        if (rows * n >= 1 << 20) Report("codegen_of_copy_same_size", "%", 100 * bytes / codegen / 1e9 / copySame, true);
        Report("speedup_interpreter", "eager/compiled", eager / interpreter, true);
        Report("speedup_codegen", "eager/compiled", eager / codegen, true);
        // The most a kernel moving x and y once at copy speed could gain on eager code.
        Report("ceiling_copy_256MiB", "eager/copy", eager / (bytes / (copyDram * 1e9)), true);
        if (rows * n >= 1 << 20) Report("ceiling_copy_same_size", "eager/copy", eager / (bytes / (copySame * 1e9)), true);
        Report("alloc_interpreter", "bytes/call", BytesPerCall(FusedKernelKind.Interpreter), false);
        Report("alloc_codegen", "bytes/call", BytesPerCall(FusedKernelKind.Codegen), false);
    }

    /// <summary>GB/s (bytes read plus written) of Span.CopyTo of <paramref name="floats"/> float32 on <paramref name="threads"/> threads.</summary>
    static double CopyGBs(int threads, int floats, int reps)
    {
        var src = new float[floats];
        var dst = new float[floats];
        src.AsSpan().Fill(1.5f);
        int inner = Math.Max(1, (16 << 20) / floats);
        void Body()
        {
            for (int k = 0; k < inner; k++)
                if (threads == 1) src.AsSpan().CopyTo(dst);
                else Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    int start = (int)((long)floats * t / threads), end = (int)((long)floats * (t + 1) / threads);
                    src.AsSpan(start, end - start).CopyTo(dst.AsSpan(start, end - start));
                });
        }
        Harness.WarmUp(Body, minRuns: 3, minSeconds: 0.3);
        double seconds = Harness.Median(reps, Body) / inner;
        return 2.0 * floats * sizeof(float) / seconds / 1e9;
    }
}
