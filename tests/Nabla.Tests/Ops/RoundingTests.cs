namespace Nabla.Tests.Ops;

/// <summary>Floor, Ceil, Trunc, Round (halves to even, decimals), Frac and Sign against hand values, in every dtype.</summary>
public class RoundingTests
{
    static readonly double[] Edge = [-2.5, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.5, -1.25, 1.75, 3.0, double.PositiveInfinity, double.NegativeInfinity, double.NaN];

    static double[] Apply(Func<Tensor, Tensor> op, double[] x, DType dtype) => op(Tensor.FromArray(x, [x.Length]).To(dtype)).To(DType.Float64).ToDoubleArray();

    static void AssertBits(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void HandValuesIncludingSignedZerosInfinitiesAndNaN(DType dtype)
    {
        AssertBits([-3, -2, -1, -0.0, 0, 0, 1, 2, -2, 1, 3, double.PositiveInfinity, double.NegativeInfinity, double.NaN], Apply(x => x.Floor(), Edge, dtype));
        AssertBits([-2, -1, -0.0, -0.0, 0, 1, 2, 3, -1, 2, 3, double.PositiveInfinity, double.NegativeInfinity, double.NaN], Apply(x => x.Ceil(), Edge, dtype));
        AssertBits([-2, -1, -0.0, -0.0, 0, 0, 1, 2, -1, 1, 3, double.PositiveInfinity, double.NegativeInfinity, double.NaN], Apply(x => x.Trunc(), Edge, dtype));
        // Halves go to the even neighbour: -2.5 -> -2, -0.5 -> -0, 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
        AssertBits([-2, -2, -0.0, -0.0, 0, 0, 2, 2, -1, 2, 3, double.PositiveInfinity, double.NegativeInfinity, double.NaN], Apply(x => x.Round(), Edge, dtype));
        AssertBits([-0.5, -0.5, -0.5, 0.0, 0, 0.5, 0.5, 0.5, -0.25, 0.75, 0, double.NaN, double.NaN, double.NaN], Apply(x => x.Frac(), Edge, dtype));
        AssertBits([-1, -1, -1, 0, 0, 1, 1, 1, -1, 1, 1, 1, -1, double.NaN], Apply(x => x.Sign(), Edge, dtype));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void EveryLengthTakesTheSameValuesThroughVectorsAndTails(DType dtype)
    {
        var rng = new Random(5);
        Func<double, double>[] references = [Math.Floor, Math.Ceiling, Math.Truncate, a => Math.Round(a, MidpointRounding.ToEven), a => Math.Sign(a)];
        Func<Tensor, Tensor>[] ops = [x => x.Floor(), x => x.Ceil(), x => x.Trunc(), x => x.Round(), x => x.Sign()];
        foreach (int n in new[] { 1, 3, 7, 8, 15, 16, 17, 33, 64, 100, 4099 })
        {
            // Quarters and halves in [-8, 8]: exact in float32, with many ties for round.
            var x = Enumerable.Range(0, n).Select(_ => rng.Next(-32, 33) / 4.0).ToArray();
            for (int k = 0; k < ops.Length; k++)
                AssertBits([.. x.Select(references[k])], Apply(ops[k], x, dtype));   // Math's rounding keeps -0 as the hardware does
        }
    }

    [Theory]
    [InlineData(DType.Int32)]
    [InlineData(DType.Int64)]
    public void IntegersKeepTheirDTypeAndValues(DType dtype)
    {
        var x = Tensor.FromArray(new long[] { -7, -1, 0, 1, 9, long.MaxValue >> 33 }, [6]).To(dtype);
        foreach (var op in new Func<Tensor, Tensor>[] { t => t.Floor(), t => t.Ceil(), t => t.Trunc(), t => t.Round() })
        {
            var y = op(x);
            Assert.Equal(dtype, y.DType);
            Assert.Equal(x.To(DType.Int64).ToArray<long>(), y.To(DType.Int64).ToArray<long>());
        }
        var s = x.Sign();
        Assert.Equal(dtype, s.DType);
        Assert.Equal(new long[] { -1, -1, 0, 1, 1, 1 }, s.To(DType.Int64).ToArray<long>());
    }

    [Fact]
    public void RoundToDecimalsComputesInTheTensorsDType()
    {
        // As PyTorch: 2.675 · 100 rounds to the tie 267.5 in float64, which goes to the even 268 (Python's round(2.675, 2),
        // working from the exact stored value just below 2.675, gives 2.67).
        Assert.Equal([2.68, -1.23, 0.05, 12.35], Tensor.FromArray(new[] { 2.675, -1.234, 0.05000001, 12.345000001 }, [4]).Round(2).ToDoubleArray());
        Assert.Equal([1200.0, -1200, 0, 200], Tensor.FromArray(new[] { 1234.5, -1250.0, 49.0, 250.0 }, [4]).Round(-2).ToDoubleArray());
        // float32: round(x * 10f) / 10f, in float (as PyTorch's float opmath).
        var f = Tensor.FromArray(new[] { 0.25f, 0.35f, -7.45f }, [3]).Round(1).ToArray<float>();
        Assert.Equal(new[] { MathF.Round(0.25f * 10f) / 10f, MathF.Round(0.35f * 10f) / 10f, MathF.Round(-7.45f * 10f) / 10f }, f);
        Assert.Equal(new[] { 0.2f, 0.4f, -7.4f }, f);   // 0.35f · 10f and -7.45f · 10f round to the ties 3.5 and -74.5
    }

    [Fact]
    public void GradientsAreZeroEvenForNonFiniteIncomingGradientsAndOneForFrac()
    {
        var x = Tensor.FromArray(new[] { -1.3, 0.5, 2.7 }, [3], requiresGrad: true);
        var gy = Tensor.FromArray(new[] { double.NaN, double.PositiveInfinity, 1.0 }, [3]);
        foreach (var op in new Func<Tensor, Tensor>[] { t => t.Floor(), t => t.Ceil(), t => t.Trunc(), t => t.Round(), t => t.Round(1), t => t.Sign() })
        {
            x.Grad = null;
            op(x).Backward(gy);
            Assert.Equal([0.0, 0, 0], x.Grad!.ToDoubleArray());
        }
        x.Grad = null;
        (x.Frac() * 3).Sum().Backward();
        Assert.Equal([3.0, 3, 3], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void IntegerFracAndDecimalsAreErrorsNamingTheCaller()
    {
        var i = Tensor.FromArray(new long[] { 1, 2 }, [2]);
        var e = Assert.Throws<ArgumentException>(() => i.Frac());
        Assert.Contains("Frac", e.Message);
        Assert.Contains("int64", e.Message);
        Assert.Contains("RoundingTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => i.Round(2));
        Assert.Contains("Round", e.Message);
        Assert.Contains("decimals", e.Message);
        Assert.Contains("RoundingTests.cs:", e.Message);
    }
}
