namespace Nabla.Tests.Ops;

/// <summary>Several-dim reductions, Var/Std (correction), VarMean/StdMean, AMax/AMin and the scans against hand values.</summary>
public class StatisticsTests
{
    [Fact]
    public void SumAndMeanOverSeveralDims()
    {
        var x = Tensor.Arange(24, DType.Float64).Reshape(2, 3, 4);
        var s = x.Sum([0, 2]);
        Assert.Equal([3], s.Shape.ToArray());
        // dim 1 = j: Σ_{i, k} (12i + 4j + k) = 2·4·4j + 4·(0 + 12) + 2·6 = 32j + 60
        Assert.Equal([60.0, 92, 124], s.ToDoubleArray());
        Assert.Equal([2, 1, 1], x.Mean([-1, 1], keepDim: true).Shape.ToArray());
        Assert.Equal([5.5, 17.5], x.Mean([-1, 1]).ToDoubleArray());
        Assert.Equal(276.0, x.Sum(Array.Empty<int>()).ToDoubleArray()[0]);   // an empty list sums everything, as PyTorch
    }

    [Fact]
    public void ADimNamedTwiceOrOutOfRangeIsAnErrorNamingTheCaller()
    {
        var x = Tensor.Zeros(2, 3);
        var e = Assert.Throws<ArgumentException>(() => x.Sum([1, -1]));
        Assert.Contains("Sum", e.Message);
        Assert.Contains("more than once", e.Message);
        Assert.Contains("StatisticsTests.cs:", e.Message);
        Assert.Throws<ArgumentException>(() => x.Var([2]));
    }

    [Fact]
    public void VarianceWithBesselsCorrectionAndWithout()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4 }, [4]);
        Assert.Equal(5.0 / 3, x.Var().ToDoubleArray()[0], 15);
        Assert.Equal(1.25, x.Var(correction: 0).ToDoubleArray()[0], 15);
        Assert.Equal(Math.Sqrt(5.0 / 3), x.Std().ToDoubleArray()[0], 15);
        var (v, m) = x.VarMean(0);
        Assert.Equal(5.0 / 3, v.ToDoubleArray()[0], 15);
        Assert.Equal(2.5, m.ToDoubleArray()[0]);
        var (sd, m2) = x.Reshape(2, 2).StdMean([1], correction: 0, keepDim: true);
        Assert.Equal([2, 1], sd.Shape.ToArray());
        Assert.Equal([0.5, 0.5], sd.ToDoubleArray());
        Assert.Equal([1.5, 3.5], m2.ToDoubleArray());
        // One element: N - correction = 0 gives 0/0 = NaN, as PyTorch; the population variance is 0.
        Assert.True(double.IsNaN(Tensor.FromArray(new[] { 7.0 }, [1]).Var().ToDoubleArray()[0]));
        Assert.Equal(0.0, Tensor.FromArray(new[] { 7.0 }, [1]).Var(correction: 0).ToDoubleArray()[0]);
    }

    [Fact]
    public void TwoPassVarianceKeepsSmallSpreadOnALargeOffset()
    {
        // E[x²] - E[x]² would lose every digit of this spread in float64; the two-pass form keeps it.
        var x = Tensor.FromArray(new[] { 1e9 + 1, 1e9 + 2, 1e9 + 3 }, [3]);
        Assert.Equal(1.0, x.Var().ToDoubleArray()[0], 12);
        var f = Tensor.FromArray(new[] { 1e4f + 1, 1e4f + 2, 1e4f + 3 }, [3]);
        Assert.Equal(1.0f, f.Var().ToArray<float>()[0]);
    }

    [Fact]
    public void VarOfIntegersIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1, 2 }, [2]).Var());
        Assert.Contains("Var", e.Message);
        Assert.Contains("int64", e.Message);
    }

    [Fact]
    public void AMaxSharesTheGradientBetweenTies()
    {
        var x = Tensor.FromArray(new[] { 1.0, 3, 3, 2, 0, 5 }, [2, 3], requiresGrad: true);
        var y = x.AMax([0, 1]);
        Assert.Equal(5.0, y.ToDoubleArray()[0]);
        x.AMax(1).Sum().Backward();
        Assert.Equal([0.0, 0.5, 0.5, 0, 0, 1], x.Grad!.ToDoubleArray());
        Assert.Equal([1.0, 0], x.AMin(1).ToDoubleArray());
    }

    [Fact]
    public void CumSumOfFloat32AccumulatesInDoubleAndIntegersInInt64()
    {
        // In float, 16777216 + 1 rounds back to 16777216 each time; the double running sum reaches 16777218.
        var f = Tensor.FromArray(new[] { 16777216f, 1f, 1f }, [3]).CumSum(0).ToArray<float>();
        Assert.Equal(new[] { 16777216f, 16777216f, 16777218f }, f);
        var i = Tensor.FromArray(new[] { 1, 2, 3 }, [3]).To(DType.Int32).CumSum(0);
        Assert.Equal(DType.Int64, i.DType);
        Assert.Equal(new long[] { 1, 3, 6 }, i.ToArray<long>());
        var m = Tensor.Arange(6, DType.Float64).Reshape(2, 3);
        Assert.Equal([0.0, 1, 2, 3, 5, 7], m.CumSum(0).ToDoubleArray());
        Assert.Equal([0.0, 1, 3, 3, 7, 12], m.CumSum(-1).ToDoubleArray());
    }

    [Fact]
    public void CumProdGradientIsExactWithZeros()
    {
        var x = Tensor.FromArray(new[] { 2.0, 0, 3 }, [3], requiresGrad: true);
        var y = x.CumProd(0);
        Assert.Equal([2.0, 0, 0], y.ToDoubleArray());
        y.Sum().Backward();
        // d(y0 + y1 + y2)/dx: x0: 1 + x1 + x1·x2 = 1; x1: x0 + x0·x2 = 8; x2: x0·x1 = 0.
        Assert.Equal([1.0, 8, 0], x.Grad!.ToDoubleArray());
        Assert.Equal(new long[] { 2, 6, 24 }, Tensor.FromArray(new long[] { 2, 3, 4 }, [3]).CumProd(0).ToArray<long>());
    }

    [Fact]
    public void LogCumSumExpNeitherOverflowsNorDropsSmallTerms()
    {
        var big = Tensor.FromArray(new[] { 1000f, 1000f, -1000f }, [3]).LogCumSumExp(0).ToArray<float>();
        Assert.Equal(new[] { 1000f, 1000f + MathF.Log(2), 1000f + MathF.Log(2) }, big);
        // Far below the eventual maximum, the first terms still hold their own running value.
        var d = Tensor.FromArray(new[] { -800.0, -799, 50 }, [3]).LogCumSumExp(0).ToDoubleArray();
        Assert.Equal(-800.0, d[0]);
        Assert.Equal(-799 + Math.Log(1 + Math.Exp(-1)), d[1], 12);
        Assert.Equal(50.0, d[2]);
        var inf = Tensor.FromArray(new[] { double.NegativeInfinity, 0, double.PositiveInfinity, 1 }, [4]).LogCumSumExp(0).ToDoubleArray();
        Assert.Equal([double.NegativeInfinity, 0, double.PositiveInfinity, double.PositiveInfinity], inf);
    }
}
