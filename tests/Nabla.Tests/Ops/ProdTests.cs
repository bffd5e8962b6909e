namespace Nabla.Tests.Ops;

/// <summary>
/// Prod's gradient where the input holds zeros, as PyTorch computes it (never y/x): with one zero only that
/// element gets a gradient (the product of the others), with several every gradient is 0, and the second
/// derivatives are the products of all but two elements, which are non-zero exactly when the two zeros are
/// the pair differentiated.
/// </summary>
public class ProdTests
{
    static Tensor Leaf(params double[] v) => Tensor.FromArray(v, [v.Length], requiresGrad: true);

    [Fact]
    public void GradientWithOneZeroGoesToTheZero()
    {
        var x = Leaf(2, 0, 3);
        var y = x.Prod();
        Assert.Equal(0.0, y.Item<double>());
        y.Backward();
        Assert.Equal([0.0, 6.0, 0.0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void GradientWithSeveralZerosIsZero()
    {
        var x = Leaf(0, 2, 0, 5);
        x.Prod().Backward();
        Assert.Equal([0.0, 0.0, 0.0, 0.0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void GradientWithoutZerosIsProductOfOthers()
    {
        var x = Leaf(2, -3, 0.5, 4);
        x.Prod().Backward();
        Assert.Equal([-6.0, 4.0, -24.0, -3.0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void SecondDerivativeWithTwoZerosPairsThem()
    {
        // y = x0·x1·x2·x3 at (0, 2, 0, 5): ∂²y/∂x0∂x2 = x1·x3 = 10, every other second derivative is 0.
        var x = Leaf(0, 2, 0, 5);
        var g = Autograd.Grad([x.Prod()], [x], createGraph: true)[0]!;
        var h0 = Autograd.Grad([g[0]], [x], retainGraph: true)[0]!;
        Assert.Equal([0.0, 0.0, 10.0, 0.0], h0.ToDoubleArray());
        var h1 = Autograd.Grad([g[1]], [x])[0]!;
        Assert.Equal([0.0, 0.0, 0.0, 0.0], h1.ToDoubleArray());
    }

    [Fact]
    public void SecondDerivativeWithOneZero()
    {
        // At (2, 0, 3): ∂²y/∂x1∂x0 = x2 = 3 and ∂²y/∂x1∂x2 = x0 = 2.
        var x = Leaf(2, 0, 3);
        var g = Autograd.Grad([x.Prod()], [x], createGraph: true)[0]!;
        Assert.Equal([3.0, 0.0, 2.0], Autograd.Grad([g[1]], [x])[0]!.ToDoubleArray());
    }

    [Fact]
    public void ProdAlongDimWithZerosPerRow()
    {
        var x = Tensor.FromArray(new[] { 1.0, 0, 4, 0, 2, 0, 3, 5, 2 }, [3, 3], requiresGrad: true);
        var y = x.Prod(1);
        Assert.Equal([0.0, 0.0, 30.0], y.ToDoubleArray());
        y.Backward(Tensor.FromArray(new[] { 1.0, 1, 2 }, [3]));
        Assert.Equal([0.0, 4, 0, 0, 0, 0, 20, 12, 30], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void IntegerProdIsInt64()
    {
        var y = Tensor.FromArray(new[] { 3, -2, 7 }, [3]).Prod();
        Assert.Equal(DType.Int64, y.DType);
        Assert.Equal(-42L, y.Item<long>());
    }
}
