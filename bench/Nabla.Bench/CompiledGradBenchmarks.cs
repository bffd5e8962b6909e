namespace Nabla.Bench;

/// <summary>
/// Gradients through compiled functions next to eager code, in one run: a second derivative compiled whole, and the
/// joint graph's partition (GraphPasses.Recompute) on and off for a function the caller differentiates.
/// </summary>
internal static class CompiledGradBenchmarks
{
    /// <summary>
    /// A Hessian-vector product of a small tanh MLP's loss (64x32 input, weights 32x32 and 32x1, float32):
    /// grad with createGraph, then the gradient of &lt;grad, v&gt;; eagerly and as one compiled function (both
    /// backward passes are ops of its trace).
    /// </summary>
    public static void CompiledSecondDerivative(int threads, bool quick)
    {
        var x = Harness.Uniform(21, [64, 32]);
        var w2 = Harness.Uniform(23, [32, 1]);
        var v = Harness.Uniform(24, [32, 32]);
        Tensor Hvp(Tensor input, Tensor w, Tensor dir)
        {
            var loss = (input.MatMul(w).Tanh().MatMul(w2).Tanh() * 0.5).Square().Sum();
            var g = Autograd.Grad(loss, w, createGraph: true)!;
            return Autograd.Grad((g * dir).Sum(), w)!;
        }
        var compiled = Graph.Compile(Hvp);
        var w1 = Harness.Uniform(22, [32, 32], requiresGrad: true);
        int reps = quick ? 9 : 21;
        const int inner = 20;
        Harness.WarmUp(() => { Hvp(x, w1, v); compiled.Call(x, w1, v); }, minSeconds: quick ? 1 : 3);
        double eager = 0, replay = 0;
        // Alternated, so both see the same load.
        for (int round = 0; round < 2; round++)
        {
            eager += Harness.Median(reps, () => { for (int k = 0; k < inner; k++) Hvp(x, w1, v); });
            replay += Harness.Median(reps, () => { for (int k = 0; k < inner; k++) compiled.Call(x, w1, v); });
        }
        void Report(string mode, string unit, double value) => Harness.Report("compiled_second_derivative", unit, value, false,
            ("mode", mode), ("batch", 64), ("width", 32), ("dtype", "float32"), ("threads", threads), ("reps", reps));
        Report("eager", "us/call", eager / 2 / inner * 1e6);
        Report("compiled", "us/call", replay / 2 / inner * 1e6);
        Report("ratio", "compiled/eager", replay / eager);
        Console.Error.WriteLine($"# compiled_second_derivative: {compiled.TraceCount} trace(s)");
    }

    /// <summary>
    /// A chain of 100 elementwise ops (add, mul, tanh) the caller differentiates (Backward each call), at 16 and 64K
    /// float32 elements: eager, compiled with the partition (the default) and without it, alternated in one run.
    /// </summary>
    public static void CompiledPartition(int threads, bool quick)
    {
        foreach (int n in new[] { 16, 65536 })
        {
            var b = Harness.Uniform(4, [n], requiresGrad: true);
            var c = Harness.Uniform(5, [n], 0.5f, 1.5f, requiresGrad: true);
            var x = Harness.Uniform(3, [n]);
            Tensor Chain(Tensor y)
            {
                for (int i = 0; i < 100; i++) y = (i % 3) switch { 0 => y + b, 1 => y * c, _ => y.Tanh() };
                return y.Sum();
            }
            var kept = Graph.Compile(Chain, new CompileOptions { Passes = GraphPasses.All & ~GraphPasses.Recompute });
            var recomputed = Graph.Compile(Chain);
            var steps = new (string Mode, Action Step)[]
            {
                ("eager", () => Chain(x).Backward()), ("compiled_keep", () => kept.Call(x).Backward()),
                ("compiled_recompute", () => recomputed.Call(x).Backward()),
            };
            int inner = n == 16 ? 100 : 2, reps = quick ? 9 : 21;
            Harness.WarmUp(() => { foreach (var s in steps) s.Step(); }, minSeconds: quick ? 1 : 3);
            var sums = new double[steps.Length];
            for (int round = 0; round < 2; round++)
                for (int i = 0; i < steps.Length; i++)
                    sums[i] += Harness.Median(reps, () => { for (int k = 0; k < inner; k++) steps[i].Step(); });
            for (int i = 0; i < steps.Length; i++)
                Harness.Report("compiled_partition", "us/call", sums[i] / 2 / inner * 1e6, false,
                    ("mode", steps[i].Mode), ("elements", n), ("dtype", "float32"), ("ops", 100), ("threads", threads), ("reps", reps));
            for (int i = 1; i < steps.Length; i++)
                Harness.Report("compiled_partition", "compiled/eager", sums[i] / sums[0], false,
                    ("mode", "ratio_" + steps[i].Mode), ("elements", n), ("threads", threads));
            Console.Error.WriteLine($"# compiled_partition n={n}: {recomputed.Explain().Split('\n').FirstOrDefault(l => l.Contains("joint backward"))?.Trim()}");
        }
    }
}
