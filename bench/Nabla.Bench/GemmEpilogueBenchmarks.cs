namespace Nabla.Bench;

/// <summary>
/// GEMM with a transposed B operand and GEMM epilogues. <c>matmul_transposed_b</c>: A·Bᵀ (B a transposed view, as
/// Linear's x·Wᵀ) against A·B of the same shape, per product; the transposed view is read in place by the GEMM's pack.
/// <c>compiled_linear_epilogue</c>: Linear + bias + ReLU (and a 3-layer MLP) for inference, eager vs compiled
/// (the compiled graph fuses the bias and activation into the GEMM's epilogue), per call, no grad.
/// </summary>
internal static class GemmEpilogueBenchmarks
{
    static readonly (int M, int K, int N)[] TransposedShapes = [(256, 256, 256), (512, 512, 512), (64, 784, 128), (1, 256, 256)];

    public static void MatMulTransposedB(int threads, bool quick)
    {
        int reps = quick ? 9 : 21;
        foreach (var (m, k, n) in TransposedShapes)
        {
            var a = Harness.Uniform(1, [m, k]);
            var b = Harness.Uniform(2, [k, n]);
            var w = Harness.Uniform(3, [n, k]);
            var wt = w.T;
            int inner = Math.Max(1, (int)(20_000_000L / ((long)m * k * n)));
            Harness.WarmUp(() => { a.MatMul(b); a.MatMul(wt); }, minSeconds: quick ? 0.3 : 1);
            double plain = Harness.Median(reps, () => { for (int i = 0; i < inner; i++) a.MatMul(b); }) / inner;
            double transposed = Harness.Median(reps, () => { for (int i = 0; i < inner; i++) a.MatMul(wt); }) / inner;
            void Report(string form, string unit, double value, bool higherIsBetter) =>
                Harness.Report("matmul_transposed_b", unit, value, higherIsBetter,
                    ("m", m), ("k", k), ("n", n), ("form", form), ("dtype", "float32"), ("threads", threads), ("reps", reps));
            Report("a_b", "us/call", plain * 1e6, false);
            Report("a_bT", "us/call", transposed * 1e6, false);
            Report("ratio", "a_bT/a_b", transposed / plain, false);
        }
    }

    /// <summary>
    /// Linear + bias + ReLU on [batch, 512] -> 512, and a 784-256-256-10 ReLU MLP, batch 64 and 256: eager vs compiled
    /// (all passes on), per call under no-grad; the compiled graph must hold matmul_epilogue ops.
    /// </summary>
    public static void CompiledLinearEpilogue(int threads, bool quick)
    {
        int reps = quick ? 9 : 21;
        using var noGrad = Autograd.NoGrad();
        var l1 = new Nabla.NN.Linear(512, 512, seed: 1);
        var mlp = new Nabla.NN.Sequential(new Nabla.NN.Linear(784, 256, seed: 2), new Nabla.NN.ReLU(),
            new Nabla.NN.Linear(256, 256, seed: 3), new Nabla.NN.ReLU(), new Nabla.NN.Linear(256, 10, seed: 4));
        var workloads = new (string Name, Func<Tensor, Tensor> F, int In)[]
        {
            ("linear_relu_512", x => l1.Forward(x).Relu(), 512),
            ("mlp_784_256_256_10", mlp.Forward, 784),
        };
        foreach (var (name, f, inFeatures) in workloads)
            foreach (int batch in new[] { 64, 256 })
            {
                var x = Harness.Uniform(5, [batch, inFeatures]);
                var compiled = Graph.Compile(f);
                compiled.Call(x);
                if (!compiled.GraphFor(x).Contains("matmul_epilogue"))
                    throw new InvalidOperationException($"compiled_linear_epilogue: {name} was not fused:\n{compiled.GraphFor(x)}");
                int inner = Math.Max(1, 4_000_000 / (batch * inFeatures * 256));
                Harness.WarmUp(() => { f(x); compiled.Call(x); }, minSeconds: quick ? 0.3 : 1);
                double eager = Harness.Median(reps, () => { for (int i = 0; i < inner; i++) f(x); }) / inner;
                double fused = Harness.Median(reps, () => { for (int i = 0; i < inner; i++) compiled.Call(x); }) / inner;
                void Report(string mode, string unit, double value, bool higherIsBetter) =>
                    Harness.Report("compiled_linear_epilogue", unit, value, higherIsBetter,
                        ("workload", name), ("batch", batch), ("mode", mode), ("dtype", "float32"), ("threads", threads), ("reps", reps));
                Report("eager", "us/call", eager * 1e6, false);
                Report("compiled", "us/call", fused * 1e6, false);
                Report("ratio", "compiled/eager", fused / eager, false);
            }
    }
}
