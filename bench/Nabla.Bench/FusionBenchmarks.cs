namespace Nabla.Bench;

/// <summary>
/// Elementwise fusion (the graph pass <c>GraphPasses.Fusion</c>): a chain of elementwise ops on 1M float32 elements
/// called eagerly (one pass over memory per op) and through <see cref="Graph.Compile"/> (one fused op, its tiles in
/// L1), per call, no grad. GB/s counts each input and the output once (8 bytes per element: x read, y written; the
/// broadcast scalars are single elements), so it reads directly against <c>copy_bandwidth</c>, which counts the same.
/// </summary>
internal static partial class FusionBenchmarks
{
    static readonly (string Name, Func<Tensor, Tensor> Chain)[] Chains =
    [
        ("gelu_primitives", x => 0.5 * x * (1.0 + (Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x.Pow(3))).Tanh())),
        ("exp_x_times_x_plus_1", x => x.Exp() * x + 1.0),
    ];

    public static void CompiledElementwise(int threads, bool quick)
    {
        const int n = 1 << 20;
        int reps = quick ? 9 : 21;
        const int inner = 10;
        var x = Harness.Uniform(7, [n], -3, 3);
        using var noGrad = Autograd.NoGrad();
        foreach (var (name, chain) in Chains)
        {
            var compiled = Graph.Compile(chain);
            compiled.Call(x);   // the trace, outside the timing
            if (!compiled.GraphFor(x).Contains("fused_elementwise"))
                throw new InvalidOperationException($"compiled_elementwise: {name} was not fused:\n{compiled.GraphFor(x)}");
            Harness.WarmUp(() => { chain(x); compiled.Call(x); }, minSeconds: quick ? 0.5 : 2);
            double eager = Harness.Median(reps, () => { for (int k = 0; k < inner; k++) chain(x); }) / inner;
            double fused = Harness.Median(reps, () => { for (int k = 0; k < inner; k++) compiled.Call(x); }) / inner;
            void Report(string mode, string unit, double value, bool higherIsBetter) =>
                Harness.Report("compiled_elementwise", unit, value, higherIsBetter,
                    ("chain", name), ("mode", mode), ("elements", n), ("dtype", "float32"), ("threads", threads), ("reps", reps));
            Report("eager", "ms/call", eager * 1e3, false);
            Report("compiled", "ms/call", fused * 1e3, false);
            Report("eager", "GB/s", 8.0 * n / eager / 1e9, true);
            Report("compiled", "GB/s", 8.0 * n / fused / 1e9, true);
            Report("speedup", "eager/compiled", eager / fused, true);
        }
    }
}
