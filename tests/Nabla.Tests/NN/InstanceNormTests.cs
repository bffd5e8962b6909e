using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>InstanceNorm1d/2d and Functional.InstanceNorm: values by hand, running statistics, defaults, errors.</summary>
public class InstanceNormTests
{
    static Tensor D(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    static double[] Values(Tensor t) => t.To(DType.Float64).ToArray<double>();

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void EachPlaneIsNormalizedOnItsOwn(DType dtype)
    {
        // [1, 2, 3, 4]: mean 2.5, biased variance 1.25; [10, 10, 10, 14]: mean 11, variance 3.
        var x = D([1, 2, 3, 4, 10, 10, 10, 14], 2, 1, 4).To(dtype);
        var y = new InstanceNorm1d(1).Call(x);
        double s1 = Math.Sqrt(1.25 + 1e-5), s2 = Math.Sqrt(3 + 1e-5);
        double[] expected = [-1.5 / s1, -0.5 / s1, 0.5 / s1, 1.5 / s1, -1 / s2, -1 / s2, -1 / s2, 3 / s2];
        var actual = Values(y);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], dtype == DType.Float32 ? 1e-5 : 1e-12);
        // Affine: ·weight + bias per channel (ones and zeros at first, so the same values).
        var affine = new InstanceNorm1d(1, affine: true, dtype: dtype);
        Assert.Equal([1], affine.Weight!.Shape.ToArray());
        affine.Weight.Assign(D([2], 1).To(dtype));
        affine.Bias!.Assign(D([1], 1).To(dtype));
        var ya = Values(affine.Call(x));
        for (int i = 0; i < expected.Length; i++) Assert.Equal(2 * expected[i] + 1, ya[i], dtype == DType.Float32 ? 1e-5 : 1e-12);
    }

    [Fact]
    public void DefaultsHaveNoParametersNorStatistics()
    {
        var norm = new InstanceNorm2d(3);
        Assert.Null(norm.Weight);
        Assert.Null(norm.RunningMean);
        Assert.Empty(norm.Parameters());
        Assert.Contains("affine=False, track_running_stats=False", norm.ToString());
        // Unbatched [C, H, W]; without per-channel state any channel count works, as PyTorch.
        Assert.Equal([5, 2, 2], norm.Call(Tensor.Ones(5, 2, 2)).Shape.ToArray());
        norm.Eval();
        var x = D([1, 2, 3, 4], 1, 1, 2, 2);
        Assert.Equal(Values(F.InstanceNorm(x)), Values(norm.Call(x)));   // evaluation still uses the input's statistics
    }

    [Fact]
    public void RunningStatisticsAverageTheInstancesAndServeEvaluation()
    {
        var norm = new InstanceNorm1d(1, momentum: 0.1, trackRunningStats: true, dtype: DType.Float64);
        // Instances [1, 2, 3, 4] (mean 2.5, unbiased var 5/3) and [10, 10, 10, 14] (mean 11, unbiased var 4).
        var x = D([1, 2, 3, 4, 10, 10, 10, 14], 2, 1, 4);
        norm.Call(x);
        Assert.Equal(0.1 * (2.5 + 11) / 2, Values(norm.RunningMean!)[0], 12);
        Assert.Equal(0.9 + 0.1 * (5.0 / 3 + 4) / 2, Values(norm.RunningVar!)[0], 12);
        Assert.Equal(1L, norm.NumBatchesTracked!.Item<long>());
        norm.Eval();
        double mean = Values(norm.RunningMean!)[0], variance = Values(norm.RunningVar!)[0];
        Assert.Equal((1 - mean) / Math.Sqrt(variance + 1e-5), Values(norm.Call(x))[0], 12);
        Assert.Throws<ArgumentException>(() => norm.Call(Tensor.Zeros([1, 2, 4], DType.Float64)));   // 2 channels, 1 expected
    }

    [Fact]
    public void InputStatisticsNeedMoreThanOneSpatialElement()
    {
        var e = Assert.Throws<ArgumentException>(() => new InstanceNorm1d(3).Call(Tensor.Zeros(2, 3, 1)));
        Assert.Contains("InstanceNorm", e.Message);
        Assert.Contains("InstanceNormTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => new InstanceNorm2d(3).Call(Tensor.Zeros(3, 4)));
        Assert.Contains("InstanceNorm2d", e.Message);
        Assert.Contains("InstanceNormTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.InstanceNorm(Tensor.Zeros(2, 3, 4), useInputStats: false));
        Assert.Contains("running", e.Message);
        Assert.Contains("InstanceNormTests.cs:", e.Message);
    }
}
