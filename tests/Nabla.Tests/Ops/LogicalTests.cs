namespace Nabla.Tests.Ops;

/// <summary>Comparison operators, Ne, the logical ops and their operators on bool tensors.</summary>
public class LogicalTests
{
    static bool[] B(Tensor t) => t.ToArray<bool>();

    [Fact]
    public void ComparisonOperatorsGiveBoolTensorsAndCombine()
    {
        var x = Tensor.FromArray(new[] { -1.0, 0.25, 0.5, 2, double.NaN }, [5]);
        var inside = (x > 0) & (x < 1);
        Assert.Equal(DType.Bool, inside.DType);
        Assert.Equal([false, true, true, false, false], B(inside));
        Assert.Equal([true, false, false, true, false], B((x <= 0) | (x >= 1)));
        Assert.Equal([true, true, true, false, true], B(!(x > 1.0)));   // NaN > 1 is false
        Assert.Equal([false, true, true, true, true], B(x.Ne(-1.0)));   // NaN != anything, NaN included
        Assert.True(B(x.Ne(x))[4]);
        Assert.Equal([true, true, false, true, true], B((x > 0) ^ (x.Ne(0.25) & (x < 1.0)) ^ ~(x < 3L)));
    }

    [Fact]
    public void LogicalOpsTakeAnyDTypeNonzeroIsTrue()
    {
        var a = Tensor.FromArray(new long[] { 0, 3, 0, -2 }, [4]);
        var b = Tensor.FromArray(new[] { 0.0, 0.0, 1.5, double.NaN }, [4]);
        Assert.Equal([false, false, false, true], B(a.LogicalAnd(b)));
        Assert.Equal([false, true, true, true], B(a.LogicalOr(b)));
        Assert.Equal([false, true, true, false], B(a.LogicalXor(b)));
        Assert.Equal([true, false, true, false], B(a.LogicalNot()));
    }

    [Fact]
    public void BitwiseOperatorsOnNonBoolTensorsAreErrorsNamingTheCaller()
    {
        var i = Tensor.FromArray(new long[] { 1, 2 }, [2]);
        var e = Assert.Throws<ArgumentException>(() => i & i);
        Assert.Contains("operator &", e.Message);
        Assert.Contains("int64", e.Message);
        Assert.Contains("LogicalTests.cs:", e.Message);
        Assert.Throws<ArgumentException>(() => !i);
    }
}
