namespace Nabla.Tests.Ops;

/// <summary>
/// Median as torch.median: the lower of the two middle values for an even count, NaN when the input holds
/// NaN, values and indices along a dim with the gradient sent to the chosen element, and the gradient of
/// the whole-tensor median shared evenly by the elements equal to it (torch's evenly_distribute_backward).
/// </summary>
public class MedianTests
{
    [Fact]
    public void EvenCountGivesLowerMiddleValue()
    {
        Assert.Equal(2.0, Tensor.FromArray(new[] { 4.0, 1, 3, 2 }, [4]).Median().Item<double>());
        Assert.Equal(3.0, Tensor.FromArray(new[] { 5.0, 3, 1 }, [3]).Median().Item<double>());
        Assert.Equal(2L, Tensor.FromArray(new long[] { 4, 1, 3, 2 }, [2, 2]).Median().Item<long>());
    }

    [Fact]
    public void MedianAlongDimReturnsValuesAndIndices()
    {
        var x = Tensor.FromArray(new[] { 1.0, 5, 3, 2, 4, 4, 0, 9 }, [2, 4]);
        var (values, indices) = x.Median(1);
        Assert.Equal([2.0, 4.0], values.ToDoubleArray());
        Assert.Equal(DType.Int64, indices.DType);
        // Row 2 sorts as 0, 4 (index 0), 4 (index 1), 9: rank 1 is the 4 at index 0.
        Assert.Equal([3L, 0L], indices.ToArray<long>());
        var (kv, ki) = x.Median(-1, keepDim: true);
        Assert.Equal([2, 1], kv.Shape.ToArray());
        Assert.Equal([2, 1], ki.Shape.ToArray());
    }

    [Fact]
    public void GradientOfMedianAlongDimGoesToTheChosenElement()
    {
        var x = Tensor.FromArray(new[] { 1.0, 5, 3, 2, 4, 4, 0, 9 }, [2, 4], requiresGrad: true);
        x.Median(1).Values.Backward(Tensor.FromArray(new[] { 2.0, 3.0 }, [2]));
        Assert.Equal([0.0, 0, 0, 2, 3, 0, 0, 0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void GradientOfWholeMedianIsSharedByTies()
    {
        var x = Tensor.FromArray(new[] { 2.0, 1, 2, 3 }, [4], requiresGrad: true);
        var y = x.Median();
        Assert.Equal(2.0, y.Item<double>());
        y.Backward();
        Assert.Equal([0.5, 0, 0.5, 0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void NaNGivesNaNAndItsIndex()
    {
        var x = Tensor.FromArray(new[] { 1.0, double.NaN, 3, 0 }, [4]);
        Assert.True(double.IsNaN(x.Median().Item<double>()));
        var (v, i) = x.Median(0);
        Assert.True(double.IsNaN(v.Item<double>()));
        Assert.Equal(1L, i.Item<long>());
    }

    [Fact]
    public void Float32MatchesFloat64()
    {
        var x = OpDb.OpDb.Distinct(3, [5, 6]);
        Assert.Equal(x.Median(0).Values.To(DType.Float32).ToArray<float>(), x.To(DType.Float32).Median(0).Values.ToArray<float>());
        Assert.Equal(x.Median(0).Indices.ToArray<long>(), x.To(DType.Float32).Median(0).Indices.ToArray<long>());
    }
}
