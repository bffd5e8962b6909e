using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

/// <summary>
/// The workloads of the side-by-side comparison with TorchSharp (bench/compare.sh, issue 5) that
/// Benchmarks.cs does not have. bench/Peers.TorchSharp runs the same definitions through TorchSharp:
/// same sizes, same seeds, same repetitions, same JSON parameters.
/// </summary>
internal static partial class SideBySide
{
    /// <summary>The workloads added to Program.cs's list.</summary>
    public static readonly (string Name, Action<int, bool> Run)[] Workloads =
    [
        ("overhead_chain", OverheadChain),
        ("second_derivative", SecondDerivative),
        ("memory", Memory),
        ("startup", Startup),
    ];

    /// <summary>
    /// The overhead workload: a chain of exactly 100 ops on 16 float32 elements, cycling add, mul,
    /// tanh (34 adds, 33 muls, 33 tanhs; tensor operands of the same shape, so no broadcast or cast op is
    /// added). Reported per op (forward recording the graph, forward under NoGrad, Backward of the sum
    /// divided by 100) and per iteration (forward with grad + Sum + Backward).
    /// </summary>
    static void OverheadChain(int threads, bool quick)
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
                y = (i % 3) switch { 0 => y + b, 1 => y * c, _ => y.Tanh() };
            return y;
        }

        void ClearGrads()
        {
            x.Grad = null;
            b.Grad = null;
            c.Grad = null;
        }

        // 3 s of warm-up, as Benchmarks.Overhead found necessary for the small dispatch methods to settle.
        Harness.WarmUp(() => Chain().Sum().Backward(), minSeconds: 3);
        // Each rep times 10 chains: one chain of 100 tiny ops is only tens of microseconds.
        const int inner = 10;
        void Report(string mode, string unit, double seconds, double divisor) =>
            Harness.Report("overhead_chain", unit, seconds / divisor * 1e6, false,
                ("mode", mode), ("elements", 16), ("dtype", "float32"), ("ops", ops), ("threads", threads), ("reps", reps));

        Report("forward_grad", "us/op", Harness.Median(reps, () => { for (int k = 0; k < inner; k++) Chain(); }), inner * ops);
        Report("forward_no_grad", "us/op", Harness.Median(reps, () =>
        {
            using var scope = Autograd.NoGrad();
            for (int k = 0; k < inner; k++) Chain();
        }), inner * ops);

        var roots = new Tensor[inner];
        Report("backward", "us/op", Harness.Median(reps, () => { foreach (var r in roots) r.Backward(); }, setup: () =>
        {
            ClearGrads();
            for (int k = 0; k < inner; k++) roots[k] = Chain().Sum();
        }), inner * ops);

        Report("forward_backward", "us/iter", Harness.Median(reps, () =>
        {
            for (int k = 0; k < inner; k++) Chain().Sum().Backward();
        }, setup: ClearGrads), inner);
    }

    /// <summary>
    /// Second derivative of sum(tanh(x)) for 1M float32 elements through createGraph: g = d/dx sum(tanh x)
    /// with its graph recorded, then d/dx sum(g) (the Hessian's diagonal, -2 tanh(x) (1 - tanh²(x))).
    /// Time of the whole: forward, first gradient, second gradient.
    /// </summary>
    static void SecondDerivative(int threads, bool quick)
    {
        const int n = 1_000_000;
        int reps = quick ? 5 : 11;
        var x = Harness.Uniform(7, [n], requiresGrad: true);
        Tensor? h = null;
        void Body()
        {
            var y = x.Tanh().Sum();
            var g = Autograd.Grad(y, x, createGraph: true)!;
            h = Autograd.Grad(g.Sum(), x);
        }
        Harness.WarmUp(Body);
        double seconds = Harness.Median(reps, Body);
        // The same number on the TorchSharp side shows both computed the same thing.
        Console.Error.WriteLine($"# second_derivative: sum of d2/dx2 = {h!.Sum().Item<float>():G6}");
        Harness.Report("second_derivative", "ms", seconds * 1e3, false,
            ("expr", "d2/dx2 sum(tanh(x))"), ("elements", n), ("dtype", "float32"), ("threads", threads), ("reps", reps));
    }

    /// <summary>784-512-256-10 with ReLU on [batch, 784] input (the seeds of Training.MlpTrainStep).</summary>
    static Sequential Mlp() => new(
        new Linear(784, 512, seed: 1), new ReLU(), new Linear(512, 256, seed: 2), new ReLU(), new Linear(256, 10, seed: 3));

    /// <summary>One MLP training step on a fixed batch of 128 (ZeroGrad, forward, cross-entropy, Backward, Adam
    /// step), as a user writes it: no Dispose anywhere.</summary>
    static Action MlpStep()
    {
        var model = Mlp();
        var x = Harness.Uniform(13, [128, 784], 0, 1);
        var labels = Harness.Labels(14, 128);
        var opt = new Adam(model.Parameters(), learningRate: 1e-3);
        return () =>
        {
            opt.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Call(x), labels);
            loss.Backward();
            opt.Step();
        };
    }
}
