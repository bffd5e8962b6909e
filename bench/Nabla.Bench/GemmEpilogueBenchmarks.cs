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
}
