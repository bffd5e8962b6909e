namespace Nabla.Tests.Ops;

/// <summary>Explicit C# casts of one-element tensors (Python's float(t), int(t), bool(t)).</summary>
public class ScalarCastTests
{
    [Fact]
    public void CastsReadTheOneValue()
    {
        Assert.Equal(2.5f, (float)Tensor.Scalar(2.5f));
        Assert.Equal(0.1, (double)Tensor.Scalar(0.1));
        Assert.Equal((double)0.1f, (double)Tensor.Scalar(0.1f));     // float32 widened exactly
        Assert.Equal(2, (int)Tensor.Scalar(2.7));                     // toward zero, as int(2.7)
        Assert.Equal(-1L, (long)Tensor.Scalar(-1.5f));
        Assert.True((bool)Tensor.Scalar(double.NaN));                 // bool(nan) is True
        Assert.False((bool)Tensor.Zeros([1, 1]));                     // one element of any shape
        Assert.Equal(7, (int)Tensor.FromArray(new long[] { 7 }, [1]));
    }

    [Fact]
    public void MoreThanOneElementOrAValueThatDoesNotFitThrows()
    {
        var e = Assert.Throws<InvalidOperationException>(() => (float)Tensor.Zeros([2]));
        Assert.Contains("2 elements", e.Message);
        Assert.Contains("ScalarCastTests.cs:", e.Message);
        var big = Assert.Throws<InvalidOperationException>(() => (int)Tensor.Scalar(3e9));
        Assert.Contains("3000000000", big.Message);
        Assert.Throws<ArgumentNullException>(() => (double)(Tensor)null!);
    }
}
