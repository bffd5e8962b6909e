using TorchSharp;
using static TorchSharp.torch;

namespace Peers.TorchSharp;

/// <summary>
/// The kernel and engine workloads, defined exactly as in bench/Nabla.Bench (Benchmarks.cs and
/// SideBySide.cs): same sizes, same data (same seeds), same repetitions, same JSON parameters.
/// </summary>
internal static class Workloads
{
    /// <summary>C = A·B for square float32 matrices; 2n³ floating-point operations per product.</summary>
    public static void MatMul(int threads, bool quick)
    {
        int[] sizes = quick ? [256, 512] : [256, 512, 1024, 2048];
        foreach (var n in sizes)
        {
            var a = Harness.Uniform(1, [n, n]);
            var b = Harness.Uniform(2, [n, n]);
            int reps = n >= 2048 ? 3 : n >= 1024 ? 5 : quick ? 5 : 9;
            Harness.WarmUp(() => a.matmul(b), minRuns: n >= 1024 ? 1 : 3, minSeconds: n >= 1024 ? 0 : 1.0);
            double seconds = Harness.Median(reps, () => a.matmul(b));
            double gflops = 2.0 * n * n * n / seconds / 1e9;
            Harness.Report("matmul", "GFLOP/s", gflops, true,
                ("n", n), ("dtype", "float32"), ("threads", threads), ("reps", reps));
        }
    }

    /// <summary>
    /// Nabla.Bench's <c>overhead</c>: a chain of <c>links</c> links y = tanh((y + b) * c) on 16-element float32
    /// tensors (3 ops per link); per op: forward recording the graph, forward under no_grad, and backward of the
    /// chain's sum divided by the forward op count.
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
            for (int i = 0; i < links; i++) y = ((y + b) * c).tanh();
            return y;
        }

        Harness.WarmUp(() => Chain().sum().backward(), minSeconds: 3);
        double withGrad = Harness.Median(reps, () => Chain());
        Harness.Report("overhead", "us/op", withGrad / ops * 1e6, false,
            ("mode", "forward_grad"), ("elements", 16), ("dtype", "float32"), ("ops", ops), ("threads", threads), ("reps", reps));

        double noGrad = Harness.Median(reps, () =>
        {
            using var scope = no_grad();
            Chain();
        });
        Harness.Report("overhead", "us/op", noGrad / ops * 1e6, false,
            ("mode", "forward_no_grad"), ("elements", 16), ("dtype", "float32"), ("ops", ops), ("threads", threads), ("reps", reps));

        Tensor? root = null;
        double backward = Harness.Median(reps, () => root!.backward(), setup: () =>
        {
            ClearGrads(x, b, c);
            root = Chain().sum();
        });
        Harness.Report("overhead", "us/op", backward / ops * 1e6, false,
            ("mode", "backward"), ("elements", 16), ("dtype", "float32"), ("ops", ops), ("threads", threads), ("reps", reps));
    }

    /// <summary>
    /// The overhead workload: a chain of exactly 100 ops on 16 float32 elements, cycling add, mul, tanh
    /// (34 adds, 33 muls, 33 tanhs). Reported per op (forward with grad, forward under no_grad, backward of the
    /// sum divided by 100) and per iteration (forward with grad + sum + backward: what one tiny training
    /// iteration costs).
    /// </summary>
    public static void OverheadChain(int threads, bool quick)
    {
        const int ops = 100;
        int reps = quick ? 9 : 21;
        var x = Harness.Uniform(3, [16], requiresGrad: true);
        var b = Harness.Uniform(4, [16], requiresGrad: true);
        var c = Harness.Uniform(5, [16], 0.5f, 1.5f, requiresGrad: true);

        Tensor Chain()
        {
            var y = x;
            for (int i = 0; i < ops; i++)
                y = (i % 3) switch { 0 => y + b, 1 => y * c, _ => y.tanh() };
            return y;
        }

        Harness.WarmUp(() => Chain().sum().backward(), minSeconds: 3);
        // Each rep times 10 chains: one chain of 100 tiny ops is only tens of microseconds.
        const int inner = 10;
        void Report(string mode, string unit, double seconds, double divisor) =>
            Harness.Report("overhead_chain", unit, seconds / divisor * 1e6, false,
                ("mode", mode), ("elements", 16), ("dtype", "float32"), ("ops", ops), ("threads", threads), ("reps", reps));

        Report("forward_grad", "us/op", Harness.Median(reps, () => { for (int k = 0; k < inner; k++) Chain(); }), inner * ops);
        Report("forward_no_grad", "us/op", Harness.Median(reps, () =>
        {
            using var scope = no_grad();
            for (int k = 0; k < inner; k++) Chain();
        }), inner * ops);

        var roots = new Tensor[inner];
        Report("backward", "us/op", Harness.Median(reps, () => { foreach (var r in roots) r.backward(); }, setup: () =>
        {
            ClearGrads(x, b, c);
            for (int k = 0; k < inner; k++) roots[k] = Chain().sum();
        }), inner * ops);

        Report("forward_backward", "us/iter", Harness.Median(reps, () =>
        {
            for (int k = 0; k < inner; k++) Chain().sum().backward();
        }, setup: () => ClearGrads(x, b, c)), inner);
    }

    /// <summary>y = exp(x) * x + 1 on 10M float32 elements, eager; 28 bytes per element counted as in Nabla.Bench.</summary>
    public static void Elementwise(int threads, bool quick)
    {
        const int n = 10_000_000;
        const int bytesPerElement = 28;
        int reps = quick ? 5 : 11;
        var x = Harness.Uniform(6, [n]);
        Harness.WarmUp(() => _ = x.exp() * x + 1);
        double seconds = Harness.Median(reps, () => _ = x.exp() * x + 1);
        double gbs = (double)bytesPerElement * n / seconds / 1e9;
        Harness.Report("elementwise", "GB/s", gbs, true,
            ("expr", "exp(x)*x+1"), ("elements", n), ("dtype", "float32"), ("bytes_per_element", bytesPerElement),
            ("ms", Math.Round(seconds * 1e3, 3)), ("threads", threads), ("reps", reps));
    }

    /// <summary>
    /// Second derivative of sum(tanh(x)) for 1M float32 elements through create_graph: g = d/dx sum(tanh x)
    /// with the graph kept, then d/dx sum(g) (the Hessian's diagonal, -2 tanh(x) (1 - tanh²(x))). Time of
    /// the whole: forward, first gradient, second gradient.
    /// </summary>
    public static void SecondDerivative(int threads, bool quick)
    {
        const int n = 1_000_000;
        int reps = quick ? 5 : 11;
        var x = Harness.Uniform(7, [n], requiresGrad: true);
        Tensor? h = null;
        void Body()
        {
            var y = x.tanh().sum();
            // retain_graph as PyTorch defaults it under create_graph (TorchSharp defaults it to false).
            var g = torch.autograd.grad([y], [x], retain_graph: true, create_graph: true)[0];
            h = torch.autograd.grad([g.sum()], [x])[0];
        }
        Harness.WarmUp(Body);
        double seconds = Harness.Median(reps, Body);
        // Not inside a dispose scope any more; the same number on the Nabla side shows both computed the same thing.
        Body();
        Console.Error.WriteLine($"# second_derivative: sum of d2/dx2 = {h!.sum().item<float>():G6}");
        Harness.Report("second_derivative", "ms", seconds * 1e3, false,
            ("expr", "d2/dx2 sum(tanh(x))"), ("elements", n), ("dtype", "float32"), ("threads", threads), ("reps", reps));
    }

    static void ClearGrads(params Tensor[] leaves)
    {
        foreach (var t in leaves) t.grad?.zero_();
    }
}
