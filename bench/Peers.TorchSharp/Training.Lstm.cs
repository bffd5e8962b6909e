using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Peers.TorchSharp;

/// <summary>lstm_train_step: the character model's step of bench/Nabla.Bench/Training.Lstm.cs (same data and seeds).</summary>
internal static class TrainingLstm
{
    const int Steps = 64, Batch = 32, Features = 64, Hidden = 256, Classes = 64;

    /// <summary>nn.LSTM(64, 256) over [64, 32, 64], Linear(256, 64) on every step, cross_entropy, backward, Adam.</summary>
    public static void LstmTrainStep(int threads, bool quick)
    {
        var x = Harness.Uniform(15, [Steps, Batch, Features]);
        var labels = Harness.Labels(16, Steps * Batch);
        var lstm = LSTM(Features, Hidden);
        var head = Linear(Hidden, Classes);
        var opt = optim.Adam(lstm.parameters().Concat(head.parameters()), lr: 1e-3);
        void Step()
        {
            opt.zero_grad();
            var (y, _, _) = lstm.call(x, null);
            var loss = functional.cross_entropy(head.call(y.reshape(Steps * Batch, Hidden)), labels);
            loss.backward();
            opt.step();
        }
        int reps = quick ? 5 : 21;
        Harness.WarmUp(Step, minRuns: 3, minSeconds: quick ? 1 : 3);
        Harness.Report("lstm_train_step", "ms", Harness.Median(reps, Step) * 1e3, false,
            ("batch", Batch), ("seq", Steps), ("hidden", Hidden), ("dtype", "float32"), ("optimizer", "adam"), ("threads", threads), ("reps", reps));
    }
}
