namespace Nabla.Tests.Hardening;

/// <summary>
/// Item&lt;T&gt; converts as a checked C# cast: truncation toward zero, and an error naming the value and the
/// target type where the type cannot hold the value (issue 11, point 5). ToArray&lt;T&gt; never converts.
/// </summary>
public class ItemConversionTests
{
    [Theory]
    [InlineData(2.7, 2)]
    [InlineData(-1.5, -1)]
    [InlineData(-2.7, -2)]
    [InlineData(0.999, 0)]
    [InlineData(2147483647.9, 2147483647)]
    [InlineData(-2147483648.9, -2147483648)]
    public void FloatToIntTruncatesTowardZero(double value, int expected)
    {
        Assert.Equal(expected, Tensor.Scalar(value, DType.Float64).Item<int>());
        Assert.Equal((long)expected, Tensor.Scalar(value, DType.Float64).Item<long>());
    }

    [Fact]
    public void Float32ToIntegersTruncatesTowardZero()
    {
        Assert.Equal(2, Tensor.Scalar(2.7, DType.Float32).Item<int>());
        Assert.Equal(-1L, Tensor.Scalar(-1.5, DType.Float32).Item<long>());
        Assert.Equal(16777216L, Tensor.Scalar(16777216.0, DType.Float32).Item<long>());
    }

    [Theory]
    [InlineData(3e9, "Int32")]
    [InlineData(-3e9, "Int32")]
    [InlineData(2147483648.0, "Int32")]
    [InlineData(double.NaN, "Int32")]
    [InlineData(double.PositiveInfinity, "Int32")]
    [InlineData(double.NaN, "Int64")]
    [InlineData(double.NegativeInfinity, "Int64")]
    [InlineData(9.3e18, "Int64")]
    [InlineData(9223372036854775808.0, "Int64")]   // 2^63: one past long.MaxValue
    public void OutOfRangeOrNaNToIntegerThrowsNamingValueAndType(double value, string type)
    {
        var x = Tensor.Scalar(value, DType.Float64);
        var e = Assert.Throws<InvalidOperationException>(() => { if (type == "Int32") x.Item<int>(); else x.Item<long>(); });
        Assert.StartsWith("Tensor.Item: the value ", e.Message);
        Assert.Contains(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), e.Message);
        Assert.Contains($"does not fit in {type}", e.Message);
        Assert.Contains("ItemConversionTests.cs:", e.Message);
    }

    [Fact]
    public void LongBoundariesConvertExactly()
    {
        Assert.Equal(-9223372036854775808L, Tensor.Scalar(-9223372036854775808.0, DType.Float64).Item<long>());
        Assert.Equal(long.MaxValue, Tensor.FromArray([long.MaxValue], [1]).Item<long>());
        Assert.Equal(long.MinValue, Tensor.FromArray([long.MinValue], [1]).Item<long>());
        Assert.Equal(9223372036854774784L, Tensor.Scalar(9223372036854774784.0, DType.Float64).Item<long>());   // the largest double below 2^63
    }

    [Fact]
    public void Int64ToInt32ChecksTheRange()
    {
        Assert.Equal(-7, Tensor.Full([], -7, DType.Int64).Item<int>());
        Assert.Equal(int.MaxValue, Tensor.Full([], int.MaxValue, DType.Int64).Item<int>());
        var big = Tensor.Full([], 3_000_000_000, DType.Int64);
        var e = Assert.Throws<InvalidOperationException>(() => big.Item<int>());
        Assert.Contains("3000000000 does not fit in Int32", e.Message);
        Assert.Equal(3e9, big.Item<double>());
    }

    [Fact]
    public void BoolConvertsToOneOrZeroAndNonzeroToTrue()
    {
        Assert.Equal(1, Tensor.Full([], 1, DType.Bool).Item<int>());
        Assert.Equal(0.0, Tensor.Full([], 0, DType.Bool).Item<double>());
        Assert.True(Tensor.Scalar(-0.5, DType.Float64).Item<bool>());
        Assert.True(Tensor.Scalar(double.NaN, DType.Float64).Item<bool>());   // as Python's bool(float('nan'))
        Assert.False(Tensor.Scalar(-0.0, DType.Float64).Item<bool>());
        Assert.True(Tensor.Full([], 2, DType.Int64).Item<bool>());
    }

    [Fact]
    public void FloatingConversionsFollowTheCast()
    {
        Assert.Equal((float)0.1, Tensor.Scalar(0.1, DType.Float64).Item<float>());
        Assert.Equal(float.PositiveInfinity, Tensor.Scalar(1e300, DType.Float64).Item<float>());
        Assert.True(double.IsNaN(Tensor.Scalar(double.NaN, DType.Float32).Item<double>()));
        Assert.Equal(9007199254740993.0, Tensor.Full([], 9007199254740993, DType.Int64).Item<double>());   // rounds as (double)long
        Assert.Equal(3.0, Tensor.Full([], 3, DType.Int32).Item<double>());
    }

    [Fact]
    public void OneElementTensorOfAnyRankConverts()
    {
        Assert.Equal(-3, Tensor.FromArray([-3.9], [1, 1]).Item<int>());
    }

    [Fact]
    public void UnsupportedTargetTypeThrowsNamingIt()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Scalar(1.0, DType.Float64).Item<short>());
        Assert.Contains("Int16", e.Message);
    }

    [Fact]
    public void ToArrayNeverConvertsAndNamesBothTypes()
    {
        var x = Tensor.FromArray([2.7, -1.5], [2]);
        var e = Assert.Throws<InvalidOperationException>(() => x.ToArray<int>());
        Assert.Contains("Int32[]", e.Message);
        Assert.Contains("float64", e.Message);
        // The documented way: convert the tensor first (a C# cast elementwise: truncation toward zero).
        Assert.Equal([2, -1], x.To(DType.Int32).ToArray<int>());
    }
}
