using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>Module.ParameterCount against hand counts.</summary>
public class ParameterCountTests
{
    [Fact]
    public void CountsEachElementOnceAndCanSkipFrozenOnes()
    {
        var shared = new Linear(4, 4, seed: 1);
        var net = new Sequential(new Linear(784, 10, seed: 2), new ReLU(), shared, shared);
        Assert.Equal(784L * 10 + 10 + 4 * 4 + 4, net.ParameterCount());
        var conv = new Conv2d(3, 8, 3, seed: 3);
        Assert.Equal(8L * 3 * 3 * 3 + 8, conv.ParameterCount());
        conv.Parameters().First().RequiresGrad = false;
        Assert.Equal(8L, conv.ParameterCount(trainableOnly: true));
    }
}
