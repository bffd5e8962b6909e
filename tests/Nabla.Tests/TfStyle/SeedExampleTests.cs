namespace Nabla.Tests.TfStyle;

/// <summary>The quickstart's seed examples (README), TF style, and the core forward-mode facts.</summary>
public class SeedExampleTests
{
    [Fact]
    public void TapeGradientOfPolynomialIsSeven()
    {
        var x = new Variable(2.0f);
        var tape = new GradientTape();
        Tensor y;
        using (tape) { y = x * x + 3 * x; }
        Assert.Equal(7f, tape.Gradient(y, x)!.Item<float>());
        Assert.Null(x.Grad);
    }

    [Fact]
    public void NestedTapesGiveSecondDerivative()
    {
        var x = new Variable(2.0f);
        using var outer = new GradientTape();
        using var inner = new GradientTape();
        var v = x * x + 3 * x;
        var dv = inner.Gradient(v, x)!;
        Assert.Equal(7f, dv.Item<float>());
        Assert.Equal(2f, outer.Gradient(dv, x)!.Item<float>());
    }

    [Fact]
    public void ThirdOrderWithThreeTapes()
    {
        var x = new Variable(3.0);
        using var t3 = new GradientTape();
        using var t2 = new GradientTape();
        using var t1 = new GradientTape();
        var y = x * x * x * x;                       // x^4
        var d1 = t1.Gradient(y, x)!;                 // 4x^3 = 108
        var d2 = t2.Gradient(d1, x)!;                // 12x^2 = 108
        var d3 = t3.Gradient(d2, x)!;                // 24x = 72
        Assert.Equal(108.0, d1.Item<double>(), 12);
        Assert.Equal(108.0, d2.Item<double>(), 12);
        Assert.Equal(72.0, d3.Item<double>(), 12);
    }

    [Fact]
    public void ForwardAccumulatorGivesJvp()
    {
        var x = Tensor.Scalar(2.0);
        using var acc = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        var y = x * x * x;
        Assert.Equal(12.0, acc.Jvp(y)!.Item<double>(), 12);
    }

    [Fact]
    public void NoPerturbationConfusion()
    {
        // d/dx [ x * (d/dy (x + y)) at y = x ] at x = 1 is 1 (a confused implementation gives 2).
        var x = Tensor.Scalar(1.0);
        using var outer = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        var y = x * 1.0;                                   // y = x, a separate tensor carrying x's outer tangent
        Tensor inner;
        using (var acc = new ForwardAccumulator(y, Tensor.Scalar(1.0)))
        {
            var z = x + y;
            inner = acc.Jvp(z)!;                           // d/dy (x + y) = 1
        }
        var f = x * inner;
        Assert.Equal(1.0, outer.Jvp(f)!.Item<double>(), 12);
    }

    [Fact]
    public void ForwardOverForwardAndForwardOverReverse()
    {
        var x = Tensor.Scalar(3.0);
        using var outer = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        using var inner = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        var y = x * x * x;
        var dy = inner.Jvp(y)!;                    // 3x^2 = 27
        Assert.Equal(27.0, dy.Item<double>(), 12);
        Assert.Equal(18.0, outer.Jvp(dy)!.Item<double>(), 12);   // 6x

        var w = Tensor.Scalar(3.0, requiresGrad: true);
        using var acc = new ForwardAccumulator(w, Tensor.Scalar(1.0));
        var g = Autograd.Grad(w * w * w, w)!;      // 3w^2 = 27, carrying its JVP 6w
        Assert.Equal(27.0, g.Item<double>(), 12);
        Assert.Equal(18.0, acc.Jvp(g)!.Item<double>(), 12);
    }
}
