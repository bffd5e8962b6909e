using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

/// <summary>
/// Whole training steps: forward, cross-entropy loss, Backward, Adam step (ZeroGrad first), on float32
/// data from a fixed seed. The time covers everything a training loop does per batch except loading data.
/// </summary>
internal static class Training
{
    /// <summary>
    /// MNIST-sized CNN, batch 64 of [1, 28, 28]: Conv2d(1, 32, 3, padding 1), ReLU, MaxPool2d(2),
    /// Conv2d(32, 64, 3, padding 1), ReLU, MaxPool2d(2), Flatten, Linear(3136, 10) — the model,
    /// the same as the TorchSharp peer's (the MNIST example adds a hidden layer of 128).
    /// </summary>
    public static void CnnTrainStep(int threads, bool quick)
    {
        var model = new Sequential(
            new Conv2d(1, 32, 3, padding: 1, seed: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1, seed: 2), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 10, seed: 3));
        Run("cnn_train_step", model, Harness.Uniform(11, [64, 1, 28, 28], 0, 1), Harness.Labels(12, 64), threads, quick);
    }

    /// <summary>MLP 784-512-256-10 with ReLU, batch 128.</summary>
    public static void MlpTrainStep(int threads, bool quick)
    {
        var model = new Sequential(
            new Linear(784, 512, seed: 1), new ReLU(), new Linear(512, 256, seed: 2), new ReLU(), new Linear(256, 10, seed: 3));
        Run("mlp_train_step", model, Harness.Uniform(13, [128, 784], 0, 1), Harness.Labels(14, 128), threads, quick);
    }

    static void Run(string name, Module model, Tensor x, Tensor labels, int threads, bool quick)
    {
        var opt = new Adam(model.Parameters(), learningRate: 1e-3);
        void Step()
        {
            opt.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Call(x), labels);
            loss.Backward();
            opt.Step();
        }
        int reps = quick ? 5 : 21;
        Harness.WarmUp(Step, minRuns: 5, minSeconds: quick ? 1 : 3);
        double seconds = Harness.Median(reps, Step);
        Harness.Report(name, "ms", seconds * 1e3, false,
            ("batch", x.Shape[0]), ("dtype", "float32"), ("optimizer", "adam"), ("threads", threads), ("reps", reps));
    }
}
