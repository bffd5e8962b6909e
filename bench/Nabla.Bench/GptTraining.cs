using Nabla.Examples.CharLM;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

/// <summary>
/// gpt_train_step: one training step of the CharLM example's default model (examples/CharLM/Gpt.cs, compiled in):
/// 4 pre-norm blocks, width 128, 4 heads, context 128, vocabulary 65, batch 32 (826k parameters, 4096 tokens):
/// ZeroGrad, forward, cross-entropy over every position, Backward, ClipGradNorm(1.0), AdamW step (lr 2e-3, betas
/// (0.9, 0.99), weight decay 0.1 on every parameter: the example leaves biases and LayerNorms undecayed, the same
/// work). The step is compiled with Graph.Compile as the example runs it (the row); an eager row (mode=eager) is
/// Nabla's own. Token ids come from a fixed seed, the same on the TorchSharp side.
/// </summary>
internal static class GptTraining
{
    public const int Vocab = 65, Context = 128, Batch = 32, Layers = 4, Heads = 4, Width = 128;

    /// <summary>Token ids in [0, 65) from a seeded System.Random, as the TorchSharp side makes them.</summary>
    public static long[] TokenData(int seed, int n)
    {
        var rng = new Random(seed);
        var data = new long[n];
        for (int i = 0; i < n; i++) data[i] = rng.Next(Vocab);
        return data;
    }

    public static void GptTrainStep(int threads, bool quick)
    {
        var x = Tensor.FromArray(TokenData(21, Batch * Context), [Batch, Context]);
        var y = Tensor.FromArray(TokenData(22, Batch * Context), [Batch, Context]);
        Func<Tensor, Tensor, Tensor> StepOf(Gpt model)
        {
            var opt = new AdamW(model.Parameters(), learningRate: 2e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.1);
            return (input, target) =>
            {
                opt.ZeroGrad();
                var logits = model.Call(input);
                var loss = Functional.CrossEntropy(logits.Reshape(-1, Vocab), target.Reshape(-1));
                loss.Backward();
                GradClip.ClipGradNorm(model.Parameters(), 1.0, out _);
                opt.Step();
                return loss;
            };
        }
        var config = new GptConfig(Vocab, Context, Layers, Heads, Width, Dropout: 0);
        var eager = StepOf(new Gpt(config, seed: 1));
        var compiled = Graph.Compile(StepOf(new Gpt(config, seed: 1)));
        int reps = quick ? 3 : 11;
        Harness.WarmUp(() => { eager(x, y); compiled.Call(x, y); }, minRuns: quick ? 2 : 3, minSeconds: quick ? 1 : 3);
        foreach (var (mode, step) in new (string?, Func<Tensor, Tensor, Tensor>)[] { (null, (a, t) => compiled.Call(a, t)), ("eager", eager) })
        {
            double ms = Harness.Median(reps, () => step(x, y)) * 1e3;
            var parameters = new List<(string, object)>
                { ("batch", Batch), ("context", Context), ("dtype", "float32"), ("optimizer", "adamw"), ("threads", threads), ("reps", reps) };
            if (mode is not null) parameters.Insert(0, ("mode", mode));
            Harness.Report("gpt_train_step", "ms", ms, false, [.. parameters]);
        }
        Console.Error.WriteLine($"# gpt_train_step: {compiled.TraceCount} trace(s)");
    }
}
