using Nabla.Backends.Cpu;

namespace Nabla.Bench;

/// <summary>
/// The benchmarks. Each runs once per thread count (<see cref="CpuParallel.Threads"/>) and reports the
/// median of several timed runs after warm-up. <c>quick</c> shrinks sizes and repetitions for a smoke run.
/// </summary>
internal static class Benchmarks
{
    /// <summary>C = A·B for square float32 matrices; 2n³ floating-point operations per product.</summary>
    public static void MatMul(int threads, bool quick)
    {
        foreach (var n in MatMulSizes(quick))
        {
            var a = Harness.Uniform(1, [n, n]);
            var b = Harness.Uniform(2, [n, n]);
            int reps = MatMulReps(n, quick);
            MatMulWarmUp(n, () => a.MatMul(b));
            double seconds = Harness.Median(reps, () => a.MatMul(b));
            double gflops = 2.0 * n * n * n / seconds / 1e9;
            Harness.Report("matmul", "GFLOP/s", gflops, true,
                ("n", n), ("dtype", "float32"), ("threads", threads), ("reps", reps));
        }
    }

    /// <summary>The sizes of <see cref="MatMul"/>, shared with <see cref="AnchorBenchmarks.MatMulOpenBlas"/>.</summary>
    public static int[] MatMulSizes(bool quick) => quick ? [256, 512] : [256, 512, 1024, 2048];

    /// <summary>Repetitions per size: fewer where one product takes seconds.</summary>
    public static int MatMulReps(int n, bool quick) => n >= 2048 ? 3 : n >= 1024 ? 5 : quick ? 5 : 9;

    /// <summary>The warm-up of one matmul size (at least one run for large n, a second of runs for small n).</summary>
    public static void MatMulWarmUp(int n, Action product) =>
        Harness.WarmUp(product, minRuns: n >= 1024 ? 1 : 3, minSeconds: n >= 1024 ? 0 : 1.0);

    /// <summary>
    /// Per-op cost on tiny (16-element float32) tensors, where the engine's bookkeeping, not the
    /// arithmetic, dominates. A chain of <c>links</c> links of y = tanh((y + b) * c) is 3 primitive
    /// dispatches per link (tensor operands of the same shape: no broadcast or cast ops are added).
    /// Reported per op: forward with graph recording, forward under NoGrad, and Backward of the recorded
    /// chain divided by its forward op count (each backward step itself runs several small ops).
    /// </summary>
    public static void Overhead(int threads, bool quick)
    {
        int links = quick ? 100 : 300;
        int ops = 3 * links;
        int reps = quick ? 9 : 21;
        var x = Harness.Uniform(3, [16], requiresGrad: true);
        var b = Harness.Uniform(4, [16], requiresGrad: true);
        var c = Harness.Uniform(5, [16], 0.5f, 1.5f, requiresGrad: true);

        Tensor Chain()
        {
            var y = x;
            for (int i = 0; i < links; i++) y = ((y + b) * c).Tanh();
            return y;
        }

        // NB: measured here, 1 s of warm-up still left the first pass 3-5x slow (the runtime keeps promoting
        // the many small methods of dispatch and backward to optimized code for a while); 3 s is steady.
        Harness.WarmUp(() => Chain().Sum().Backward(), minSeconds: 3);
        double withGrad = Harness.Median(reps, () => Chain());
        Harness.Report("overhead", "us/op", withGrad / ops * 1e6, false,
            ("mode", "forward_grad"), ("elements", 16), ("dtype", "float32"), ("ops", ops), ("threads", threads), ("reps", reps));

        double noGrad = Harness.Median(reps, () =>
        {
            using var scope = Autograd.NoGrad();
            Chain();
        });
        Harness.Report("overhead", "us/op", noGrad / ops * 1e6, false,
            ("mode", "forward_no_grad"), ("elements", 16), ("dtype", "float32"), ("ops", ops), ("threads", threads), ("reps", reps));

        Tensor? root = null;
        double backward = Harness.Median(reps, () => root!.Backward(), setup: () =>
        {
            x.Grad = null;
            b.Grad = null;
            c.Grad = null;
            root = Chain().Sum();
        });
        Harness.Report("overhead", "us/op", backward / ops * 1e6, false,
            ("mode", "backward"), ("elements", 16), ("dtype", "float32"), ("ops", ops), ("threads", threads), ("reps", reps));
    }

    /// <summary>
    /// y = exp(x) * x + 1 on 10M float32 elements, run eagerly as three passes over memory. Bytes counted
    /// (4 per element read or written): exp reads x and writes t (8), mul reads t and x and writes u (12),
    /// add reads u and writes y (8; the broadcast 1 is one element): 28 bytes per element in all.
    /// A fused kernel would move only 8 bytes per element, so 28/8 of this figure is the "effective" rate
    /// such a kernel would have to beat.
    /// </summary>
    public static void Elementwise(int threads, bool quick)
    {
        const int n = 10_000_000;
        const int bytesPerElement = 28;
        int reps = quick ? 5 : 11;
        var x = Harness.Uniform(6, [n]);
        Harness.WarmUp(() => _ = x.Exp() * x + 1);
        double seconds = Harness.Median(reps, () => _ = x.Exp() * x + 1);
        double gbs = (double)bytesPerElement * n / seconds / 1e9;
        Harness.Report("elementwise", "GB/s", gbs, true,
            ("expr", "exp(x)*x+1"), ("elements", n), ("dtype", "float32"), ("bytes_per_element", bytesPerElement),
            ("ms", Math.Round(seconds * 1e3, 3)), ("threads", threads), ("reps", reps));
    }
}
