namespace Nabla.Bench;

/// <summary>
/// Row fusion (the graph pass <c>GraphPasses.RowFusion</c>): softmax, log-softmax and layer norm written from primitives
/// on [rows, n] float32, called eagerly (one pass over memory per op, reductions included) and through
/// <see cref="Graph.Compile"/> (one fused_rows op that reads each row once), per call, no grad; the built-in
/// <c>Tensor.Softmax</c>/<c>LogSoftmax</c>/<c>Functional.LayerNorm</c> forms for reference (eager and compiled).
/// GB/s counts x read and y written once (8 bytes per element), as <c>copy_bandwidth</c> counts its bytes.
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
        // Every chain once through the JIT's tiers first: timed one after another with only their own warm-up, the
        // first chains of a process measured several times slower than the same chains timed last.
        var warm = shapes.Select(s => Harness.Uniform(11, [s.Rows, s.N], -3, 3)).ToArray();
        var all = RowChains.Select(c => (c.Chain, Compiled: Graph.Compile(c.Chain))).ToArray();
        Harness.WarmUp(() => { foreach (var t in warm) foreach (var (chain, compiled) in all) { chain(t); compiled.Call(t); } },
            minSeconds: quick ? 2 : 5);
        foreach (var (rows, n) in shapes)
        {
            var x = Harness.Uniform(11, [rows, n], -3, 3);
            int inner = Math.Max(10, (1 << 20) / (rows * n));
            foreach (var (name, chain) in RowChains)
            {
                var compiled = Graph.Compile(chain);
                compiled.Call(x);   // the trace, outside the timing
                if (!compiled.GraphFor(x).Contains("fused_rows"))
                    throw new InvalidOperationException($"compiled_rows: {name} was not fused:\n{compiled.GraphFor(x)}");
                Harness.WarmUp(() => { chain(x); compiled.Call(x); }, minSeconds: quick ? 0.5 : 2);
                double eager = Harness.Median(reps, () => { for (int k = 0; k < inner; k++) chain(x); }) / inner;
                double fused = Harness.Median(reps, () => { for (int k = 0; k < inner; k++) compiled.Call(x); }) / inner;
                void Report(string mode, string unit, double value, bool higherIsBetter) =>
                    Harness.Report("compiled_rows", unit, value, higherIsBetter,
                        ("chain", name), ("mode", mode), ("rows", rows), ("n", n), ("dtype", "float32"), ("threads", threads), ("reps", reps));
                Report("eager", "us/call", eager * 1e6, false);
                Report("compiled", "us/call", fused * 1e6, false);
                Report("eager", "GB/s", 8.0 * rows * n / eager / 1e9, true);
                Report("compiled", "GB/s", 8.0 * rows * n / fused / 1e9, true);
                Report("speedup", "eager/compiled", eager / fused, true);
            }
        }
    }
}
