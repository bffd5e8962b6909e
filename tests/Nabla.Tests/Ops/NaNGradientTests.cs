namespace Nabla.Tests.Ops;

/// <summary>Gradients at NaN follow PyTorch: a NaN input poisons its own gradient, never its neighbours'.</summary>
public class NaNGradientTests
{
    [Fact]
    public void AbsGradientIsSignWithNaNAtNaN()
    {
        // torch: abs backward is grad · sgn(x); sgn(0) = 0, sgn(NaN) = NaN.
        var x = Tensor.FromArray(new[] { -2.0, 0.0, double.NaN, 3.0 }, [4], requiresGrad: true);
        x.Abs().Sum().Backward();
        var g = x.Grad!.ToArray<double>();
        Assert.Equal(-1.0, g[0]);
        Assert.Equal(0.0, g[1]);
        Assert.True(double.IsNaN(g[2]));
        Assert.Equal(1.0, g[3]);
    }
}
