using Nabla.NN;

namespace Nabla.Examples.Mnist;

/// <summary>The two networks: a small CNN (the default) and a multi-layer perceptron.</summary>
static class Models
{
    /// <summary>conv3x3(32)-ReLU-maxpool2-conv3x3(64)-ReLU-maxpool2-linear(128)-ReLU-linear(10): about 420k parameters.</summary>
    public static Sequential Cnn(int seed) => new(
        new Conv2d(1, 32, 3, padding: 1, seed: seed),
        new ReLU(),
        new MaxPool2d(2),
        new Conv2d(32, 64, 3, padding: 1, seed: seed + 1),
        new ReLU(),
        new MaxPool2d(2),
        new Flatten(),
        new Linear(64 * 7 * 7, 128, seed: seed + 2),
        new ReLU(),
        new Linear(128, 10, seed: seed + 3));

    /// <summary>784-512-256-10 with ReLU.</summary>
    public static Sequential Mlp(int seed) => new(
        new Flatten(),
        new Linear(784, 512, seed: seed),
        new ReLU(),
        new Linear(512, 256, seed: seed + 1),
        new ReLU(),
        new Linear(256, 10, seed: seed + 2));
}
