namespace Nabla.Tests.Autodiff;

/// <summary>Backward/Autograd.Grad rules with hand-derived numbers (y = x³ at x = 3: y' = 27, y'' = 18).</summary>
public class BackwardSemanticsTests
{
    static Tensor Cube(Tensor x) => x * x * x;

    [Fact]
    public void RetainedGraphBackwardTwiceAccumulatesFirstDerivative()
    {
        var x = Tensor.Scalar(3.0, requiresGrad: true);
        var y = Cube(x);
        y.Backward(retainGraph: true);
        Assert.Equal(27.0, x.Grad!.Item<double>());
        y.Backward(retainGraph: true);
        Assert.Equal(54.0, x.Grad!.Item<double>());
    }

    [Fact]
    public void GradOfGradGivesSecondDerivative()
    {
        var x = Tensor.Scalar(3.0, requiresGrad: true);
        var y = Cube(x);
        var d1 = Autograd.Grad(y, x, createGraph: true)!;
        Assert.Equal(27.0, d1.Item<double>());
        Assert.True(d1.RequiresGrad);
        Assert.Equal(18.0, Autograd.Grad(d1, x)!.Item<double>());
        Assert.Null(x.Grad);
    }

    [Fact]
    public void SecondBackwardWithoutRetainGraphThrowsWithAdvice()
    {
        var x = Tensor.Scalar(3.0, requiresGrad: true);
        var y = Cube(x);
        y.Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("retainGraph", ex.Message);
        Assert.Contains("Detach", ex.Message);
        Assert.Equal(27.0, x.Grad!.Item<double>());  // the failed call added nothing
    }

    [Fact]
    public void RetainGraphDefaultsToCreateGraph()
    {
        var x = Tensor.Scalar(3.0, requiresGrad: true);
        var y = Cube(x);
        Autograd.Grad(y, x, createGraph: true);
        Assert.Equal(27.0, Autograd.Grad(y, x)!.Item<double>());       // retained by createGraph
        Assert.Throws<InvalidOperationException>(() => Autograd.Grad(y, x)); // the plain call freed it

        var z = Cube(x);
        Assert.Equal(27.0, Autograd.Grad(z, x, retainGraph: true)!.Item<double>());
        Assert.Equal(27.0, Autograd.Grad(z, x)!.Item<double>());
    }

    [Fact]
    public void NonScalarBackwardNeedsAGradientOfTheRightShape()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, [3], requiresGrad: true);
        var y = x * 2.0;
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("[3]", ex.Message);
        var bad = Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones([2], DType.Float64)));
        Assert.Contains("[2]", bad.Message);
        Assert.Contains("[3]", bad.Message);
        y.Backward(Tensor.FromArray(new double[] { 1, 10, 100 }, [3]));
        Assert.Equal(new double[] { 2, 20, 200 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void OnlyFloatingLeavesCanRequireGrad()
    {
        var n = Tensor.FromArray(new long[] { 1, 2 }, [2]);
        var ex = Assert.Throws<InvalidOperationException>(() => n.RequiresGrad = true);
        Assert.Contains("int64", ex.Message);
        Assert.False(n.RequiresGrad);
        n.RequiresGrad = false;  // turning it off is always allowed

        var x = Tensor.Scalar(1.0, requiresGrad: true);
        var y = x * 2.0;
        var nonLeaf = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Contains("leaf", nonLeaf.Message);
        Assert.Contains("MulBackward", nonLeaf.Message);
    }

    [Fact]
    public void GradAccumulatesAcrossBackwardCalls()
    {
        var x = Tensor.Scalar(2.0, requiresGrad: true);
        (x * x).Backward();
        Assert.Equal(4.0, x.Grad!.Item<double>());
        (3.0 * x * x).Backward();
        Assert.Equal(16.0, x.Grad!.Item<double>());
        x.Grad = null;
        (x * x).Backward();
        Assert.Equal(4.0, x.Grad!.Item<double>());
    }

    [Fact]
    public void AutogradGradNeverTouchesGrad()
    {
        var x = Tensor.Scalar(2.0, requiresGrad: true);
        Assert.Equal(4.0, Autograd.Grad(x * x, x)!.Item<double>());
        Assert.Null(x.Grad);
        x.Grad = Tensor.Scalar(100.0);
        Assert.Equal(12.0, Autograd.Grad(3.0 * x * x, x)!.Item<double>());
        Assert.Equal(100.0, x.Grad!.Item<double>());
    }

    [Fact]
    public void GradOfLeafGradIsAPrivateCopy()
    {
        // .Grad must not alias the gradient tensor the engine produced (which may be an input's storage).
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var g = Tensor.FromArray(new double[] { 5, 7 }, [2]);
        (x * 1.0).Backward(g);
        Assert.Equal(new double[] { 5, 7 }, x.Grad!.ToArray<double>());
        Assert.NotSame(g, x.Grad);
    }

    [Fact]
    public void BackwardWithCreateGraphMakesGradDifferentiable()
    {
        var x = Tensor.Scalar(3.0, requiresGrad: true);
        (x * x * x).Backward(createGraph: true);
        Assert.Equal(27.0, x.Grad!.Item<double>());
        Assert.True(x.Grad.RequiresGrad);
        Assert.Equal(18.0, Autograd.Grad(x.Grad, x)!.Item<double>());
    }

    [Fact]
    public void GradWithRespectToIntermediateAndToOutputItself()
    {
        var x = Tensor.Scalar(2.0, requiresGrad: true);
        var h = x * x;
        var y = h * h * 3.0;  // dy/dh = 6h = 24, dy/dx = 24 * 2x = 96
        var g = Autograd.Grad([y], [h, x, y], retainGraph: true);
        Assert.Equal(24.0, g[0]!.Item<double>());
        Assert.Equal(96.0, g[1]!.Item<double>());
        Assert.Equal(1.0, g[2]!.Item<double>());
        Assert.Equal(1.0, Autograd.Grad(x, x)!.Item<double>());
    }
}
