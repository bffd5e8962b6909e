namespace Nabla.Tests.Ops;

/// <summary>Quantile against numbers torch.quantile's definition gives by hand, NaN, errors.</summary>
public class QuantileTests
{
    [Fact]
    public void HandValuesForEachInterpolation()
    {
        var x = Tensor.FromArray(new[] { 4.0, 1, 3, 2 }, [4]);   // sorted 1 2 3 4; q = 0.4 sits at 1.2
        Assert.Equal(2.2, x.Quantile(0.4).ToDoubleArray()[0], 14);
        Assert.Equal(2.0, x.Quantile(0.4, interpolation: QuantileInterpolation.Lower).ToDoubleArray()[0]);
        Assert.Equal(3.0, x.Quantile(0.4, interpolation: QuantileInterpolation.Higher).ToDoubleArray()[0]);
        Assert.Equal(2.0, x.Quantile(0.4, interpolation: QuantileInterpolation.Nearest).ToDoubleArray()[0]);
        Assert.Equal(2.5, x.Quantile(0.4, interpolation: QuantileInterpolation.Midpoint).ToDoubleArray()[0]);
        Assert.Equal(3.0, x.Quantile(0.5, interpolation: QuantileInterpolation.Nearest).ToDoubleArray()[0]);   // 1.5 rounds to even 2
        Assert.Equal([1.0, 2.5, 4], x.Quantile([0.0, 0.5, 1.0]).ToDoubleArray());
        var m = Tensor.FromArray(new[] { 1.0, 5, 3, double.NaN, 2, 0 }, [2, 3]).Quantile(0.5, 1, keepDim: true);
        Assert.Equal([2, 1], m.Shape.ToArray());
        Assert.Equal(3.0, m.ToDoubleArray()[0]);
        Assert.True(double.IsNaN(m.ToDoubleArray()[1]));
    }

    [Fact]
    public void BadQAndIntegerInputsAreErrorsNamingTheCaller()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).Quantile(1.5));
        Assert.Contains("Quantile", e.Message);
        Assert.Contains("QuantileTests.cs:", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1, 2 }, [2]).Quantile(0.5));
    }
}
