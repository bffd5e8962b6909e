using Nabla.Graphs;

namespace Nabla.Bench;

/// <summary>Fused elementwise chains with per-channel and per-column operands (broadcast along other dims than a scalar's).</summary>
internal static class BroadcastBenchmarks
{
    /// <summary>
    /// compiled_broadcast: a batch-norm style chain <c>relu((x - shift) * scale + 0.5) * x</c> on [64, 32, 28, 28] with
    /// [32, 1, 1] shift and scale, and <c>exp((x - mean) * inv) - x</c> on [2048, 784] with [2048, 1] columns: eager, and
    /// compiled (one fused op that gathers the broadcast operands per tile).
    /// </summary>
    public static void CompiledBroadcast(int threads, bool quick)
    {
        int reps = quick ? 5 : 21;
        using var noGrad = Autograd.NoGrad();
        var cases = new (string Name, Func<Tensor, Tensor, Tensor, Tensor> Chain, int[] X, int[] Operand)[]
        {
            ("channels", (x, a, b) => ((x - a) * b + 0.5).Relu() * x, [64, 32, 28, 28], [32, 1, 1]),
            ("columns", (x, a, b) => ((x - a) * b).Exp() - x, [2048, 784], [2048, 1]),
        };
        foreach (var (name, chain, xShape, operandShape) in cases)
        {
            var (x, a, b) = (Harness.Uniform(1, xShape), Harness.Uniform(2, operandShape), Harness.Uniform(3, operandShape, 0.5f, 1.5f));
            var compiled = Graph.Compile(chain);
            compiled.Call(x, a, b);   // the trace, outside the timing
            Harness.WarmUp(() => { chain(x, a, b); compiled.Call(x, a, b); }, minSeconds: quick ? 0.5 : 2);
            foreach (var (mode, run) in new (string, Action)[] { ("eager", () => chain(x, a, b)), ("compiled", () => compiled.Call(x, a, b)) })
                Harness.Report("compiled_broadcast", "ms/call", Harness.Median(reps, run) * 1e3, false,
                    ("chain", name), ("mode", mode), ("elements", x.NumElements), ("dtype", "float32"), ("threads", threads), ("reps", reps));
        }
    }
}
