namespace Nabla.Tests.Hardening;

/// <summary>Issue 11 point 6, the cases the other files leave: Arange's bounds, creation with an invalid dtype, Stack past the rank limit.</summary>
public class LeftoverNamingTests
{
    static void NamesOpAndCaller(Exception e, string op)
    {
        Assert.StartsWith(op + ":", e.Message);
        Assert.Contains("LeftoverNamingTests.cs:", e.Message);
    }

    [Theory]
    [InlineData(0.0, double.NaN, 1.0)]
    [InlineData(double.NaN, 5.0, 1.0)]
    [InlineData(0.0, double.PositiveInfinity, 1.0)]
    [InlineData(0.0, 5.0, double.NaN)]
    [InlineData(0.0, 5.0, double.PositiveInfinity)]
    [InlineData(5.0, 0.0, 1.0)]      // torch: upper bound and larger bound inconsistent with step sign
    [InlineData(0.0, 5.0, -1.0)]
    public void ArangeRefusesRangesTorchRefuses(double start, double end, double step)
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Arange(start, end, step));
        NamesOpAndCaller(e, "Tensor.Arange");
    }

    [Fact]
    public void ArangeStillGivesEmptyAndDescendingRanges()
    {
        Assert.Equal(0, Tensor.Arange(3.0, 3.0).NumElements);
        Assert.Equal(new long[] { 5, 3, 1 }, Tensor.Arange(5, 0, -2).ToArray<long>());
    }

    [Fact]
    public void CreationWithAnInvalidDTypeNamesTheOp()
    {
        NamesOpAndCaller(Assert.ThrowsAny<ArgumentException>(() => Tensor.Zeros([2], (DType)99)), "Tensor.Zeros");
        NamesOpAndCaller(Assert.ThrowsAny<ArgumentException>(() => Tensor.Full([2], 1.0, (DType)99)), "Tensor.Full");
    }

    [Fact]
    public void StackPastTheRankLimitNamesStack()
    {
        var dims = Enumerable.Repeat(1, Shape.MaxRank).ToArray();
        var x = Tensor.Zeros(dims);
        var e = Assert.Throws<ArgumentException>(() => Tensor.Stack([x, x]));
        NamesOpAndCaller(e, "Stack");
        Assert.Contains("64", e.Message);
    }
}
