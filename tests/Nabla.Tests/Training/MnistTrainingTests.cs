using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Training;

/// <summary>End-to-end: a short training run on real MNIST learns, and both styles give the same numbers.</summary>
[Collection("GlobalRandomState")]
public class MnistTrainingTests
{
    static Sequential Mlp(int seed) => new(
        new Flatten(), new Linear(784, 64, seed: seed), new ReLU(), new Linear(64, 10, seed: seed + 1));

    static double Accuracy(Module model, Tensor images, Tensor labels)
    {
        using (Autograd.NoGrad())
            return model.Call(images).ArgMax(1).Eq(labels).Sum().Item<long>() / (double)images.Shape[0];
    }

    [Fact]
    public void OneEpochOnAFewThousandImagesLearns()
    {
        var train = Mnist.Load(train: true, normalize: true);
        var test = Mnist.Load(train: false, normalize: true);
        var model = Mlp(seed: 1);
        var optimizer = new Adam(model.Parameters(), learningRate: 2e-3);
        var loader = new DataLoader(new TensorDataset(train.Images[..3000], train.Labels[..3000]), batchSize: 50, shuffle: true, seed: 1);
        var testImages = test.Images[..1000];
        var testLabels = test.Labels[..1000];
        double before = Accuracy(model, testImages, testLabels);
        double firstLoss = double.NaN, lastLoss = double.NaN;
        foreach (var batch in loader)
        {
            optimizer.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Call(batch[0]), batch[1]);
            loss.Backward();
            optimizer.Step();
            if (double.IsNaN(firstLoss)) firstLoss = loss.Item<float>();
            lastLoss = loss.Item<float>();
        }
        double after = Accuracy(model, testImages, testLabels);
        Assert.InRange(before, 0.0, 0.3);       // chance is 0.1
        Assert.InRange(after, 0.85, 1.0);       // 60 steps of Adam on 3000 images reach ~0.88-0.9
        Assert.True(lastLoss < firstLoss / 3, $"loss went from {firstLoss} to {lastLoss}");
    }

    [Fact]
    public void TorchStyleAndTfStyleGiveIdenticalParameters()
    {
        var train = Mnist.Load(train: true, normalize: true);
        var images = train.Images[..256];
        var labels = train.Labels[..256];

        var torchModel = Mlp(seed: 5);
        var torchOptimizer = new Adam(torchModel.Parameters());
        var tfModel = Mlp(seed: 5);
        var tfOptimizer = new Adam();
        for (int step = 0; step < 4; step++)
        {
            var x = images[(step * 64)..((step + 1) * 64)];
            var y = labels[(step * 64)..((step + 1) * 64)];

            torchOptimizer.ZeroGrad();
            Functional.CrossEntropy(torchModel.Call(x), y).Backward();
            torchOptimizer.Step();

            using var tape = new GradientTape();
            var loss = Functional.CrossEntropy(tfModel.Call(x), y);
            var grads = tape.Gradient(loss, tfModel.TrainableVariables);
            tfOptimizer.ApplyGradients(grads.Zip(tfModel.TrainableVariables));
        }
        var a = torchModel.StateDict();
        var b = tfModel.StateDict();
        foreach (var key in a.Keys)
            Assert.Equal(a[key].ToArray<float>(), b[key].ToArray<float>());
    }
}
