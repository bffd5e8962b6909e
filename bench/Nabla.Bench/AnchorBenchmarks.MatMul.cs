using Bench.Shared;

namespace Nabla.Bench;

internal static partial class AnchorBenchmarks
{
    /// <summary>
    /// OpenBLAS's <c>cblas_sgemm</c> on the inputs of <see cref="Benchmarks.MatMul"/> (same sizes, seeds,
    /// warm-up and repetitions; OpenBLAS's pool set to <c>threads</c>), reported as <c>matmul</c> rows with
    /// <c>peer</c> = OpenBLAS (and <c>peer_kernels</c>, its kernel family) so that compare_table.py puts them in a column beside Nabla's. The product is
    /// written into one preallocated C, where Nabla's row allocates its result each time. At threads = 1 the
    /// largest difference from Nabla's product goes to stderr, to show both computed the same thing.
    /// Without OpenBLAS on the machine the rows are skipped with the reason on stderr.
    /// </summary>
    public static void MatMulOpenBlas(int threads, bool quick)
    {
        if (OpenBlas.Instance is not OpenBlas blas)
        {
            if (threads == 1) Console.Error.WriteLine($"# matmul (OpenBLAS): skipped: {OpenBlas.Unavailable}");
            return;
        }
        if (threads == 1) Console.Error.WriteLine($"# matmul (OpenBLAS): {blas.Config}, from {blas.Path}; {OpenBlas.KernelChoice}");
        blas.SetThreads(threads);
        foreach (var n in Benchmarks.MatMulSizes(quick))
        {
            var a = BenchCore.UniformData(1, (long)n * n, -1, 1);
            var b = BenchCore.UniformData(2, (long)n * n, -1, 1);
            var c = new float[n * n];
            int reps = Benchmarks.MatMulReps(n, quick);
            Benchmarks.MatMulWarmUp(n, () => blas.Sgemm(a, b, c, n, n, n));
            double seconds = Harness.Median(reps, () => blas.Sgemm(a, b, c, n, n, n));
            Harness.Report("matmul", "GFLOP/s", 2.0 * n * n * n / seconds / 1e9, true,
                ("n", n), ("dtype", "float32"), ("threads", threads), ("reps", reps), ("peer", "OpenBLAS"), ("peer_kernels", blas.Kernels));
            if (threads == 1)
                Console.Error.WriteLine($"# matmul n={n}: max |Nabla - OpenBLAS| = {MaxAbsDifference(a, b, c, n):G3}");
        }
    }

    /// <summary>The largest elementwise difference between Nabla's A·B and <paramref name="c"/>.</summary>
    static float MaxAbsDifference(float[] a, float[] b, float[] c, int n)
    {
        var product = Tensor.FromArray(a, [n, n]).MatMul(Tensor.FromArray(b, [n, n])).ToArray<float>();
        float max = 0;
        for (int i = 0; i < product.Length; i++) max = MathF.Max(max, MathF.Abs(product[i] - c[i]));
        return max;
    }
}
