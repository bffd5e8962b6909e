using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Examples.CharLM;

/// <summary>
/// The training step, written both ways on the same model and optimizer: PyTorch style (Backward, ClipGradNorm,
/// Step) and TensorFlow style (GradientTape, the same clipping on the gradient list, ApplyGradients). With
/// <c>compile</c> the step (forward, cross-entropy, gradients, clipping, AdamW update) runs through
/// <see cref="Graph.Compile(Func{Tensor[], Tensor[]}, CompileOptions?)"/>: traced on the first batch, replayed
/// afterwards; the learning rate the schedule sets is read again on every replay, so the one trace serves the
/// whole run. The loss is read to the host after the call (inside, a read would be a guard on a float).
/// </summary>
sealed class Trainer
{
    readonly Gpt model;
    readonly string style;
    readonly double clipNorm;
    readonly CompiledFunction<Func<Tensor[], Tensor[]>>? compiled;

    public Trainer(Gpt model, Options o, int totalSteps)
    {
        (this.model, style, clipNorm) = (model, o.Style, o.ClipNorm);
        // nanoGPT's groups: weight decay on the matrices (linear and embedding weights), none on biases and LayerNorms.
        var decay = model.Parameters().Where(p => p.Rank >= 2).ToList();
        var noDecay = model.Parameters().Where(p => p.Rank < 2).ToList();
        Optimizer = new AdamW(decay, learningRate: o.LearningRate, beta1: 0.9, beta2: 0.99, weightDecay: o.WeightDecay);
        Optimizer.AddParamGroup(new ParamGroup(noDecay) { ["weight_decay"] = 0 });
        // Linear warm-up from 1% of the rate, then cosine decay to a tenth of it at the last step (torch's
        // LinearLR + CosineAnnealingLR under SequentialLR). Stepped once per training step.
        int warmup = Math.Max(1, o.Warmup);
        Schedule = new SequentialLR(Optimizer,
            [new LinearLR(Optimizer, startFactor: 0.01, endFactor: 1.0, totalIters: warmup),
             new CosineAnnealingLR(Optimizer, tMax: Math.Max(1, totalSteps - warmup), etaMin: o.LearningRate / 10)],
            milestones: [warmup]);
        if (o.Compile) compiled = Graph.Compile(TrainStep);
    }

    public AdamW Optimizer { get; }
    public LRScheduler Schedule { get; }

    /// <summary>What the compiled function has traced and why (null when eager).</summary>
    public string? Explain() => compiled?.Explain();

    /// <summary>One step on a batch, then one schedule step; returns the loss.</summary>
    public double Step(Tensor inputs, Tensor targets)
    {
        var results = compiled is { } f ? f.Call([inputs, targets]) : TrainStep([inputs, targets]);
        Schedule.Step();
        return results[0].Item<float>();
    }

    /// <summary>One step on [inputs, targets]; returns [loss].</summary>
    Tensor[] TrainStep(Tensor[] batch) => [style == "tf" ? TensorFlowStyle(batch[0], batch[1]) : PyTorchStyle(batch[0], batch[1])];

    /// <summary>Mean cross-entropy of the next-character predictions: logits [B, T, V] against targets [B, T].</summary>
    public static Tensor Loss(Gpt model, Tensor inputs, Tensor targets)
    {
        var logits = model.Call(inputs);
        return Functional.CrossEntropy(logits.Reshape(-1, logits.Shape[^1]), targets.Reshape(-1));
    }

    Tensor PyTorchStyle(Tensor inputs, Tensor targets)
    {
        Optimizer.ZeroGrad();
        var loss = Loss(model, inputs, targets);
        loss.Backward();
        GradClip.ClipGradNorm(model.Parameters(), clipNorm, out _);   // the tensor form: no read to the host
        Optimizer.Step();
        return loss;
    }

    Tensor TensorFlowStyle(Tensor inputs, Tensor targets)
    {
        Tensor loss;
        var variables = model.TrainableVariables;
        using (var tape = new GradientTape())
        {
            loss = Loss(model, inputs, targets);
            var grads = tape.Gradient(loss, variables);
            Optimizer.ApplyGradients(ClipByGlobalNorm(grads, clipNorm).Zip(variables));
        }
        return loss;
    }

    /// <summary>
    /// tf.clip_by_global_norm without a read to the host: every gradient times min(maxNorm / (‖g‖ + 1e-6), 1), where
    /// ‖g‖ is the 2-norm of all gradients together, computed in float64 (GradClip.ClipGradientsByNorm returns the
    /// norm as a double, which inside a compiled step would be a guard that fails on almost every call).
    /// </summary>
    static Tensor?[] ClipByGlobalNorm(IReadOnlyList<Tensor?> grads, double maxNorm)
    {
        using (Autograd.NoGrad())
        {
            var present = grads.OfType<Tensor>().ToList();
            if (present.Count == 0) return [.. grads];
            var total = Tensor.Stack(present.Select(g => g.To(DType.Float64).Square().Sum()).ToList()).Sum().Sqrt();
            var coef = (maxNorm / (total + 1e-6)).Clamp(max: 1.0);
            return [.. grads.Select(g => g is null ? null : g * coef.To(g.DType))];
        }
    }

    /// <summary>
    /// Mean loss over <paramref name="batches"/> batches of <paramref name="ids"/> drawn with a fixed seed (the same
    /// windows every time it is called with the same arguments), in eval mode and without recording.
    /// </summary>
    public static double Evaluate(Gpt model, int[] ids, int batches, int batchSize, int seed = 1234)
    {
        var random = new Random(seed);
        bool wasTraining = model.IsTraining;
        model.Eval();
        double sum = 0;
        using (Autograd.NoGrad())
            for (int i = 0; i < batches; i++)
            {
                var (x, y) = TextData.Batch(ids, batchSize, model.Config.Context, random);
                sum += Loss(model, x, y).Item<float>();
            }
        model.Train(wasTraining);
        return sum / batches;
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> by <paramref name="tokens"/> characters: each step runs the model on the last
    /// context-many ids and draws the next from the last position's logits (<see cref="Sampling.Sample"/> with the
    /// temperature and top-k). Deterministic for a seed.
    /// </summary>
    public static int[] Generate(Gpt model, int[] prompt, int tokens, double temperature, int? topK, int seed)
    {
        var ids = new List<int>(prompt);
        bool wasTraining = model.IsTraining;
        model.Eval();
        var generator = new Random(seed);
        using (Autograd.NoGrad())
            for (int i = 0; i < tokens; i++)
            {
                int start = Math.Max(0, ids.Count - model.Config.Context);
                var window = ids.Skip(start).Select(id => (long)id).ToArray();
                var logits = model.Call(Tensor.FromArray(window, [1, window.Length]));
                var last = logits[0, ^1, ..];   // [vocab]
                ids.Add((int)Sampling.Sample(last, temperature, topK, seed: generator.Next()).Item<long>());
            }
        model.Train(wasTraining);
        return [.. ids];
    }
}
