namespace Nabla.Tests.Ops;

/// <summary>Sort, ArgSort, TopK and ArgMin: stability, NaN, signed zeros, integers, gradients, errors.</summary>
public class SortingTests
{
    [Fact]
    public void SortIsStableBothWaysAndPutsNaNWithTheLargest()
    {
        var x = Tensor.FromArray(new[] { 2.0, double.NaN, 1, 2, -0.0, 0.0, 1 }, [7]);
        var (v, i) = x.Sort();
        Assert.Equal(new long[] { 4, 5, 2, 6, 0, 3, 1 }, i.ToArray<long>());   // -0 and +0 equal: kept in order
        Assert.Equal([-0.0, 0, 1, 1, 2, 2, double.NaN], v.ToDoubleArray());
        var (dv, di) = x.Sort(descending: true);
        Assert.Equal(new long[] { 1, 0, 3, 2, 6, 4, 5 }, di.ToArray<long>());   // equal values still in their order
        Assert.Equal([double.NaN, 2, 2, 1, 1, -0.0, 0], dv.ToDoubleArray());
        Assert.Equal(i.ToArray<long>(), x.ArgSort().ToArray<long>());
    }

    [Fact]
    public void SortsAlongAMiddleDimOfManyLinesAsTheReference()
    {
        var rng = new Random(3);
        var data = Enumerable.Range(0, 5 * 40 * 7).Select(_ => (double)rng.Next(0, 6)).ToArray();   // many ties
        var x = Tensor.FromArray(data, [5, 40, 7]).To(DType.Int64);
        var idx = x.ArgSort(1).ToArray<long>();
        for (int a = 0; a < 5; a++)
            for (int c = 0; c < 7; c++)
            {
                var expected = Enumerable.Range(0, 40).OrderBy(b => data[(a * 40 + b) * 7 + c]).ToArray();
                for (int b = 0; b < 40; b++) Assert.Equal(expected[b], idx[(a * 40 + b) * 7 + c]);
            }
    }

    [Fact]
    public void SortAndTopKGradientsGoBackToTheOldPlaces()
    {
        var x = Tensor.FromArray(new[] { 3.0, 1, 2 }, [3], requiresGrad: true);
        var (v, _) = x.Sort();
        (v * Tensor.FromArray(new[] { 10.0, 20, 30 }, [3])).Sum().Backward();
        Assert.Equal([30.0, 10, 20], x.Grad!.ToDoubleArray());
        x.Grad = null;
        var (top, ti) = x.TopK(2);
        Assert.Equal([3.0, 2], top.ToDoubleArray());
        Assert.Equal(new long[] { 0, 2 }, ti.ToArray<long>());
        top.Sum().Backward();
        Assert.Equal([1.0, 0, 1], x.Grad!.ToDoubleArray());
        Assert.Equal([1.0], x.TopK(1, largest: false).Values.ToDoubleArray());
    }

    [Fact]
    public void TopKOutsideTheDimIsAnErrorNamingTheCaller()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).TopK(4));
        Assert.Contains("TopK", e.Message);
        Assert.Contains("[0, 3]", e.Message);
        Assert.Contains("SortingTests.cs:", e.Message);
        Assert.Equal([2, 0], Tensor.Zeros(2, 3).TopK(0).Values.Shape.ToArray());
    }

    [Fact]
    public void ArgMinTakesTheFirstTieAndTheFirstNaN()
    {
        Assert.Equal(1L, Tensor.FromArray(new[] { 2.0, 1, 1 }, [3]).ArgMin().ToArray<long>()[0]);
        Assert.Equal(2L, Tensor.FromArray(new[] { 2.0, 1, double.NaN, double.NaN }, [4]).ArgMin().ToArray<long>()[0]);
        Assert.Equal(new long[] { 0, 1 }, Tensor.FromArray(new long[] { 1, 5, 3, 2 }, [2, 2]).ArgMin(0).ToArray<long>());
        Assert.Equal([2, 1], Tensor.Zeros(2, 3).ArgMin(1, keepDim: true).Shape.ToArray());
    }
}
