namespace Nabla.Tests.Ops;

/// <summary>
/// Empty tensors and empty strided views, as PyTorch treats them: elementwise ops, copies and clones give
/// empty results of the right shape, and reductions of nothing give the operation's identity (sum 0,
/// product 1, norm 0) or throw where there is none (max, min, median along a dim, the ∞-norm).
/// </summary>
public class EmptyReductionTests
{
    static Tensor EmptyStridedView() => Tensor.FromArray(new double[6], [2, 3]).T.Narrow(0, 1, 0);

    [Fact]
    public void ElementwiseOpOnEmptyStridedViewGivesEmptyResult()
    {
        var y = EmptyStridedView() + 1.0;
        Assert.Equal([0, 2], y.Shape.ToArray());
        Assert.Empty(y.ToDoubleArray());
        Assert.Equal([0, 2], EmptyStridedView().Exp().Shape.ToArray());
        Assert.Equal([0, 2], (EmptyStridedView() * EmptyStridedView()).Shape.ToArray());
    }

    [Fact]
    public void ContiguousAndCloneOfEmptyStridedViewAreEmpty()
    {
        Assert.Equal([0, 2], EmptyStridedView().Contiguous().Shape.ToArray());
        Assert.Equal([0, 2], EmptyStridedView().Clone().Shape.ToArray());
        Assert.Equal([0, 2], EmptyStridedView().To(DType.Float32).Shape.ToArray());
    }

    [Fact]
    public void SumAndProdOfNothingAreTheirIdentities()
    {
        var x = EmptyStridedView();                       // [0, 2]
        Assert.Equal([0.0, 0.0], x.Sum(0).ToDoubleArray());
        Assert.Equal([1.0, 1.0], x.Prod(0).ToDoubleArray());
        Assert.Equal(0.0, x.Sum().Item<double>());
        Assert.Equal(1.0, x.Prod().Item<double>());
        Assert.Equal([0, 1], x.Prod(1, keepDim: true).Shape.ToArray());
    }

    [Fact]
    public void GradientOfProdOverEmptyDimIsEmpty()
    {
        var x = Tensor.Zeros([0, 3], DType.Float64, requiresGrad: true);
        x.Prod(0).Sum().Backward();
        Assert.Equal([0, 3], x.Grad!.Shape.ToArray());
    }

    [Fact]
    public void NormOfNothingIsZeroButInfinityNormThrows()
    {
        var x = EmptyStridedView();
        Assert.Equal(0.0, x.Norm().Item<double>());
        Assert.Equal([0.0, 0.0], x.Norm(1, 0).ToDoubleArray());
        var e = Assert.Throws<ArgumentException>(() => x.Norm(double.PositiveInfinity));
        Assert.Contains("Norm", e.Message);
        Assert.Throws<ArgumentException>(() => x.Norm(-1, 0));
    }

    [Fact]
    public void MaxMinAndMedianAlongAnEmptyDimThrow()
    {
        var x = EmptyStridedView();
        Assert.Throws<ArgumentException>(() => x.Max(0));
        Assert.Throws<ArgumentException>(() => x.Min());
        var e = Assert.Throws<ArgumentException>(() => x.Median(0));
        Assert.Contains("Median", e.Message);
        // Along a non-empty dim of an empty tensor there is nothing to reduce and nothing to return.
        var (values, indices) = x.Median(1);
        Assert.Equal([0], values.Shape.ToArray());
        Assert.Equal([0], indices.Shape.ToArray());
    }

    [Fact]
    public void MedianOfAnEmptyTensorIsNaN()
    {
        Assert.True(double.IsNaN(EmptyStridedView().Median().Item<double>()));
    }

    [Fact]
    public void MatMulWithEmptyInnerDimIsZeros()
    {
        var a = Tensor.FromArray(new double[6], [3, 2]).T.Narrow(1, 0, 0);   // [2, 0], strided
        var b = Tensor.Zeros([0, 3], DType.Float64);
        var y = a.MatMul(b);
        Assert.Equal([2, 3], y.Shape.ToArray());
        Assert.Equal(new double[6], y.ToDoubleArray());
    }
}
