using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Examples.Mnist;

/// <summary>
/// One training step written both ways on the same model and optimizer: PyTorch style
/// (Backward/Step) and TensorFlow style (GradientTape/ApplyGradients). Same seed, same numbers.
/// With <c>compile</c>, the step runs through <see cref="Graph.Compile(Func{Tensor[], Tensor[]}, CompileOptions?)"/>:
/// traced on the first batch with the batch size as a dynamic dimension, so the one graph also serves the
/// smaller last batch; replayed afterwards, with the same numbers as eager.
/// </summary>
sealed class Trainer
{
    readonly Module model;
    readonly Optimizer optimizer;
    readonly string style;
    readonly CompiledFunction<Func<Tensor[], Tensor[]>>? compiled;

    /// <remarks><paramref name="imageShape"/>: one image's shape, for the compiled step's input signature.</remarks>
    public Trainer(Module model, Optimizer optimizer, string style, bool compile = false, int[]? imageShape = null)
    {
        (this.model, this.optimizer, this.style) = (model, optimizer, style);
        // The compiled step returns tensors only: reading the loss to the host inside it (Item) would be a
        // guard on a float, so the loss and the count of correct predictions are read after the call.
        // The batch dimension is dynamic (null): the last, smaller batch replays the same graph.
        if (compile)
            compiled = Graph.Compile(TrainStep, imageShape is null ? null : new CompileOptions
            {
                InputSignature = [new TensorSpec([null, .. imageShape.Select(d => (int?)d)]), new TensorSpec([null])],
            });
    }

    /// <summary>What the compiled function has traced and why (null when not compiling).</summary>
    public string? Explain() => compiled?.Explain();

    /// <summary>Runs one step on a batch; returns the loss and the number of correct predictions.</summary>
    public (double Loss, long Correct) Step(Tensor images, Tensor labels)
    {
        var results = compiled is { } f ? f.Call([images, labels]) : TrainStep([images, labels]);
        return (results[0].Item<double>(), results[1].Item<long>());
    }

    /// <summary>One step on [images, labels]; returns [loss, number of correct predictions] as tensors.</summary>
    Tensor[] TrainStep(Tensor[] batch)
    {
        var (images, labels) = (batch[0], batch[1]);
        var (loss, logits) = style == "tf" ? TensorFlowStyle(images, labels) : PyTorchStyle(images, labels);
        return [loss, CorrectCount(logits, labels)];
    }

    (Tensor Loss, Tensor Logits) PyTorchStyle(Tensor images, Tensor labels)
    {
        optimizer.ZeroGrad();
        var logits = model.Call(images);
        var loss = Functional.CrossEntropy(logits, labels);
        loss.Backward();
        optimizer.Step();
        return (loss, logits);
    }

    (Tensor Loss, Tensor Logits) TensorFlowStyle(Tensor images, Tensor labels)
    {
        Tensor logits, loss;
        using (var tape = new GradientTape())
        {
            logits = model.Call(images);
            loss = Functional.CrossEntropy(logits, labels);
            var grads = tape.Gradient(loss, model.TrainableVariables);
            optimizer.ApplyGradients(grads.Zip(model.TrainableVariables));
        }
        return (loss, logits);
    }

    /// <summary>Accuracy of the model on a whole dataset, in eval mode and without recording.</summary>
    public static double Evaluate(Module model, Tensor images, Tensor labels, int batchSize = 1000) =>
        (double)CountCorrect(model, images, labels, batchSize) / images.Shape[0];

    /// <summary>How many of the images the model classifies right, in eval mode and without recording.</summary>
    public static long CountCorrect(Module model, Tensor images, Tensor labels, int batchSize = 1000)
    {
        model.Eval();
        long correct = 0;
        using (Autograd.NoGrad())
        {
            int n = images.Shape[0];
            for (int start = 0; start < n; start += batchSize)
            {
                int end = Math.Min(n, start + batchSize);
                correct += Correct(model.Call(images[start..end]), labels[start..end]);
            }
        }
        model.Train();
        return correct;
    }

    static long Correct(Tensor logits, Tensor labels) => CorrectCount(logits, labels).Item<long>();

    static Tensor CorrectCount(Tensor logits, Tensor labels) => logits.ArgMax(1).Eq(labels).Sum();
}
