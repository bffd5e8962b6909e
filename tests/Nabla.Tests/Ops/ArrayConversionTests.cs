namespace Nabla.Tests.Ops;

/// <summary>Tensor.FromArray from rectangular and jagged C# arrays, and ToArray2D/3D/ToMultiArray back.</summary>
public class ArrayConversionTests
{
    [Fact]
    public void RectangularArraysKeepTheirShapeAndDType()
    {
        var m = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal([2, 3], m.Shape.ToArray());
        Assert.Equal(DType.Float32, m.DType);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, m.ToArray<float>());
        var c = Tensor.FromArray(new double[,,] { { { 1, 2 } }, { { 3, 4 } } });
        Assert.Equal([2, 1, 2], c.Shape.ToArray());
        Assert.Equal([1.0, 2, 3, 4], c.ToDoubleArray());
        Assert.Equal(DType.Int32, Tensor.FromArray(new int[,] { { 1 }, { 2 } }).DType);
        Assert.Equal(DType.Int64, Tensor.FromArray(new long[] { 7, 8 }).DType);
        Assert.Equal(new[] { true, false }, Tensor.FromArray(new bool[,] { { true, false } }).ToArray<bool>());
        var g = Tensor.FromArray(new double[,] { { 1, 2 } }, requiresGrad: true);
        Assert.True(g.RequiresGrad);
    }

    [Fact]
    public void JaggedArraysNeedRowsOfOneLength()
    {
        var j = Tensor.FromArray(new[] { new[] { 1.0, 2 }, new[] { 3.0, 4 }, new[] { 5.0, 6 } });
        Assert.Equal([3, 2], j.Shape.ToArray());
        Assert.Equal([1.0, 2, 3, 4, 5, 6], j.ToDoubleArray());
        var k = Tensor.FromArray(new[] { new[] { new[] { 1f }, new[] { 2f } } });
        Assert.Equal([1, 2, 1], k.Shape.ToArray());
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new[] { new[] { 1.0, 2 }, new[] { 3.0 } }));
        Assert.Contains("ragged", e.Message);
        Assert.Contains("row 1", e.Message);
        Assert.Contains("ArrayConversionTests.cs:", e.Message);
    }

    [Fact]
    public void UnsupportedElementTypesAndIntegerGradientsAreErrors()
    {
        Assert.Contains("Decimal", Assert.Throws<ArgumentException>(() => Tensor.FromArray(new decimal[,] { { 1 } })).Message);
        Assert.Contains("requiresGrad", Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[,] { { 1 } }, requiresGrad: true)).Message);
    }

    [Fact]
    public void ToArray2DAnd3DRoundTrip()
    {
        var a = new float[,] { { 1, 2, 3 }, { 4, 5, 6 } };
        Assert.Equal(a, Tensor.FromArray(a).ToArray2D<float>());
        Assert.Equal(a, Tensor.FromArray(a).T.T.ToArray2D<float>());
        var b = new double[,,] { { { 1, 2 } }, { { 3, 4 } } };
        Assert.Equal(b, Tensor.FromArray(b).ToArray3D<double>());
        var four = (double[,,,])Tensor.Arange(24, DType.Float64).Reshape(1, 2, 3, 4).ToMultiArray<double>();
        Assert.Equal(23.0, four[0, 1, 2, 3]);
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(3).ToArray2D<float>());
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2, 2).ToArray2D<double>());   // the dtype must match
    }
}
