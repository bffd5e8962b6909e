using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Peers.TorchSharp;

/// <summary>
/// Whole training steps as the issue defines them: zero_grad, forward, cross-entropy, backward, Adam step, on
/// the same float32 data as Nabla.Bench (same seeds), inside one dispose scope per step.
/// </summary>
internal static class Training
{
    /// <summary>784-512-256-10 with ReLU (input already [batch, 784]).</summary>
    public static Module<Tensor, Tensor> Mlp() => Sequential(
        Linear(784, 512), ReLU(), Linear(512, 256), ReLU(), Linear(256, 10));

    /// <summary>conv3x3(32, padding 1)-ReLU-maxpool2-conv3x3(64, padding 1)-ReLU-maxpool2-flatten-linear(3136, 10).</summary>
    public static Module<Tensor, Tensor> Cnn() => Sequential(
        Conv2d(1, 32, 3, padding: 1), ReLU(), MaxPool2d(2),
        Conv2d(32, 64, 3, padding: 1), ReLU(), MaxPool2d(2),
        Flatten(), Linear(64 * 7 * 7, 10));

    /// <summary>The MLP's input batch and labels (Nabla.Bench seeds 13 and 14).</summary>
    public static (Tensor X, Tensor Labels) MlpData() => (Harness.Uniform(13, [128, 784], 0, 1), Harness.Labels(14, 128));

    /// <summary>One step: zero_grad, forward, cross-entropy, backward, Adam step. Call it inside a dispose scope.</summary>
    public static Action StepOf(Module<Tensor, Tensor> model, Tensor x, Tensor labels)
    {
        var opt = torch.optim.Adam(model.parameters(), lr: 1e-3);
        return () =>
        {
            opt.zero_grad();
            var loss = functional.cross_entropy(model.call(x), labels);
            loss.backward();
            opt.step();
        };
    }

    public static void MlpTrainStep(int threads, bool quick)
    {
        var (x, labels) = MlpData();
        Run("mlp_train_step", Mlp(), x, labels, threads, quick);
    }

    public static void CnnTrainStep(int threads, bool quick) =>
        Run("cnn_train_step", Cnn(), Harness.Uniform(11, [64, 1, 28, 28], 0, 1), Harness.Labels(12, 64), threads, quick);

    static void Run(string name, Module<Tensor, Tensor> model, Tensor x, Tensor labels, int threads, bool quick)
    {
        var step = StepOf(model, x, labels);
        int reps = quick ? 5 : 21;
        Harness.WarmUp(step, minRuns: 5, minSeconds: quick ? 1 : 3);
        double seconds = Harness.Median(reps, step);
        Harness.Report(name, "ms", seconds * 1e3, false,
            ("batch", x.shape[0]), ("dtype", "float32"), ("optimizer", "adam"), ("threads", threads), ("reps", reps));
    }
}
