namespace Nabla.Tests.Ops;

/// <summary>Outer, Bmm, AddMm/BaddBmm, Tensordot and Kron against hand values and their errors.</summary>
public class ProductTests
{
    [Fact]
    public void HandValues()
    {
        Assert.Equal([3.0, 4, 6, 8], Tensor.FromArray(new[] { 1.0, 2 }, [2]).Outer(Tensor.FromArray(new[] { 3.0, 4 }, [2])).ToDoubleArray());
        // [1, 2] ⊗ [[1, 0], [0, 1]]: the vector gets a leading 1, so the result is [2, 4].
        var k = Tensor.FromArray(new[] { 1.0, 2 }, [2]).Kron(Tensor.Eye(2, DType.Float64));
        Assert.Equal([2, 4], k.Shape.ToArray());
        Assert.Equal([1.0, 0, 2, 0, 0, 1, 0, 2], k.ToDoubleArray());
        var a = Tensor.FromArray(new[] { 1.0, 2, 3, 4 }, [2, 2]);
        Assert.Equal(30.0, a.Tensordot(a).ToDoubleArray()[0]);   // Σ a² over both dims
    }

    [Fact]
    public void AddMmWithBetaZeroDoesNotReadTheInput()
    {
        var nan = Tensor.Full([2, 2], double.NaN, DType.Float64);
        var m = Tensor.Eye(2, DType.Float64);
        Assert.Equal([3.0, 0, 0, 3], Tensor.AddMm(nan, m, m, beta: 0, alpha: 3).ToDoubleArray());
        Assert.Equal([2.0, 1, 1, 2], Tensor.AddMm(Tensor.Ones([2], DType.Float64), m, m).ToDoubleArray());
    }

    [Fact]
    public void ShapeMismatchesAreErrorsNamingTheCaller()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3, 4).Bmm(Tensor.Zeros(3, 4, 5)));
        Assert.Contains("Bmm", e.Message);
        Assert.Contains("ProductTests.cs:", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 2).Outer(Tensor.Zeros(2)));
        Assert.Throws<ArgumentException>(() => Tensor.AddMm(Tensor.Zeros(3), Tensor.Zeros(2, 2), Tensor.Zeros(2, 2)));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Tensordot(Tensor.Zeros(4, 3), 1));
    }
}
