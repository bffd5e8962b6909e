using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Examples.Mnist;

/// <summary>
/// One training step written both ways on the same model and optimizer: PyTorch style
/// (Backward/Step) and TensorFlow style (GradientTape/ApplyGradients). Same seed, same numbers.
/// </summary>
sealed class Trainer(Module model, Optimizer optimizer, string style)
{
    /// <summary>Runs one step on a batch; returns the loss and the number of correct predictions.</summary>
    public (double Loss, long Correct) Step(Tensor images, Tensor labels) =>
        style == "tf" ? TensorFlowStyle(images, labels) : PyTorchStyle(images, labels);

    (double, long) PyTorchStyle(Tensor images, Tensor labels)
    {
        optimizer.ZeroGrad();
        var logits = model.Call(images);
        var loss = Functional.CrossEntropy(logits, labels);
        loss.Backward();
        optimizer.Step();
        return (loss.Item<double>(), Correct(logits, labels));
    }

    (double, long) TensorFlowStyle(Tensor images, Tensor labels)
    {
        Tensor logits, loss;
        using (var tape = new GradientTape())
        {
            logits = model.Call(images);
            loss = Functional.CrossEntropy(logits, labels);
            var grads = tape.Gradient(loss, model.TrainableVariables);
            optimizer.ApplyGradients(grads.Zip(model.TrainableVariables));
        }
        return (loss.Item<double>(), Correct(logits, labels));
    }

    /// <summary>Accuracy of the model on a whole dataset, in eval mode and without recording.</summary>
    public static double Evaluate(Module model, Tensor images, Tensor labels, int batchSize = 1000)
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
        return (double)correct / images.Shape[0];
    }

    static long Correct(Tensor logits, Tensor labels) => logits.ArgMax(1).Eq(labels).Sum().Item<long>();
}
