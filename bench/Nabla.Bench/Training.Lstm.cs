using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

/// <summary>lstm_train_step: a character model's training step (bench/Peers.TorchSharp/Training.Lstm.cs is its peer).</summary>
internal static class TrainingLstm
{
    const int Steps = 64, Batch = 32, Features = 64, Hidden = 256, Classes = 64;

    /// <summary>
    /// LSTM(64 → 256) over [64 steps, batch 32, 64] float32, Linear(256, 64) on every step's output, cross-entropy over all
    /// 64·32 positions, Backward, Adam; ZeroGrad first. The row named lstm_train_step is the compiled step (Graph.Compile,
    /// one trace), the one that stands next to TorchSharp's; lstm_train_step_eager is the same step run eagerly.
    /// </summary>
    public static void LstmTrainStep(int threads, bool quick)
    {
        var x = Harness.Uniform(15, [Steps, Batch, Features]);
        var labels = Harness.Labels(16, Steps * Batch);
        var eager = StepOf();
        var compiled = Graph.Compile(StepOf());
        int reps = quick ? 5 : 21;
        Harness.WarmUp(() => { eager(x, labels); compiled.Call(x, labels); }, minRuns: 3, minSeconds: quick ? 1 : 3);
        foreach (var (name, step) in new (string, Func<Tensor, Tensor, Tensor>)[]
            { ("lstm_train_step", (a, t) => compiled.Call(a, t)), ("lstm_train_step_eager", eager) })
            Harness.Report(name, "ms", Harness.Median(reps, () => step(x, labels)) * 1e3, false,
                ("batch", Batch), ("seq", Steps), ("hidden", Hidden), ("dtype", "float32"), ("optimizer", "adam"), ("threads", threads), ("reps", reps));
        Console.Error.WriteLine($"# lstm_train_step: {compiled.TraceCount} trace(s)");
    }

    static Func<Tensor, Tensor, Tensor> StepOf()
    {
        var lstm = new LSTM(Features, Hidden, seed: 1);
        var head = new Linear(Hidden, Classes, seed: 2);
        var opt = new Adam([.. lstm.Parameters(), .. head.Parameters()], learningRate: 1e-3);
        return (input, target) =>
        {
            opt.ZeroGrad();
            var (y, _) = lstm.Call(input);
            var loss = Functional.CrossEntropy(head.Call(y.Reshape(Steps * Batch, Hidden)), target);
            loss.Backward();
            opt.Step();
            return loss;
        };
    }
}
