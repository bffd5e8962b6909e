using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>A layer given input of another dtype is an error naming both (as PyTorch), never a silent upcast.</summary>
public class LayerDTypeTests
{
    [Fact]
    public void Float64InputToAFloat32LayerIsAnError()
    {
        var linear = new Linear(3, 2, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => linear.Call(Tensor.Zeros([4, 3], DType.Float64)));
        Assert.Contains("float64", e.Message);
        Assert.Contains("float32", e.Message);
        Assert.Contains("LayerDTypeTests.cs:", e.Message);
        Assert.Equal(DType.Float64, new Linear(3, 2, seed: 1, dtype: DType.Float64).Call(Tensor.Zeros([4, 3], DType.Float64)).DType);
        var conv = new Conv2d(1, 2, 3, seed: 1);
        var c = Assert.Throws<ArgumentException>(() => conv.Call(Tensor.Zeros([1, 1, 5, 5], DType.Float64)));
        Assert.Contains("float64", c.Message);
    }
}
