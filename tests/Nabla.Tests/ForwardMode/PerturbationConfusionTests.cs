namespace Nabla.Tests.Forward;

/// <summary>
/// Siskind and Pearlmutter's perturbation confusion: d/dx [ x · (d/dy (x + y))|y=x ] at x = 1 is 1
/// (a confused implementation mixes the two perturbations and gets 2). Checked with every pairing of
/// forward and reverse mode, and with a product variant whose inner derivative depends on x:
/// d/dx [ x · (d/dy (x·y))|y=x ] = d/dx [x²] = 2x.
/// </summary>
public class PerturbationConfusionTests
{
    [Fact]
    public void ForwardOverForward()
    {
        foreach (double at in new[] { 1.0, 1.7 })
        {
            var x = Tensor.Scalar(at);
            using var outer = new ForwardAccumulator(x, Tensor.Scalar(1.0));
            var y = x * 1.0;   // y = x as a separate tensor (it carries x's outer tangent)
            Tensor sumInner, prodInner;
            using (var inner = new ForwardAccumulator(y, Tensor.Scalar(1.0)))
            {
                sumInner = inner.Jvp(x + y)!;     // 1
                prodInner = inner.Jvp(x * y)!;    // x
            }
            Assert.Equal(1.0, sumInner.Item<double>(), 14);
            Assert.Equal(at, prodInner.Item<double>(), 14);
            Assert.Equal(1.0, outer.Jvp(x * sumInner)!.Item<double>(), 14);
            Assert.Equal(2 * at, outer.Jvp(x * prodInner)!.Item<double>(), 14);
        }
    }

    [Fact]
    public void ForwardOverForwardWithTheInnerPrimalMadeBeforeTheOuterLevel()
    {
        // y is a fresh tensor with x's value but no outer tangent: still 1 (and 2x for the product).
        var x = Tensor.Scalar(1.0);
        var y = Tensor.Scalar(1.0);
        using var outer = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        Tensor s, p;
        using (var inner = new ForwardAccumulator(y, Tensor.Scalar(1.0)))
        {
            s = inner.Jvp(x + y)!;
            p = inner.Jvp(x * y)!;
        }
        Assert.Equal(1.0, outer.Jvp(x * s)!.Item<double>(), 14);
        Assert.Equal(2.0, outer.Jvp(x * p)!.Item<double>(), 14);
    }

    [Fact]
    public void ForwardOverReverse()
    {
        // Outer derivative by forward mode, inner by Autograd.Grad with respect to y = x·1.
        foreach (double at in new[] { 1.0, 1.7 })
        {
            var x = Tensor.Scalar(at, requiresGrad: true);
            using var outer = new ForwardAccumulator(x, Tensor.Scalar(1.0));
            var y = x * 1.0;
            var sumInner = Autograd.Grad(x + y, y, createGraph: true)!;
            var prodInner = Autograd.Grad(x * y, y, createGraph: true)!;
            Assert.Equal(1.0, sumInner.Item<double>(), 14);
            Assert.Equal(at, prodInner.Item<double>(), 14);
            Assert.Equal(1.0, outer.Jvp(x * sumInner)!.Item<double>(), 14);
            Assert.Equal(2 * at, outer.Jvp(x * prodInner)!.Item<double>(), 14);
        }
    }

    [Fact]
    public void ReverseOverForward()
    {
        // Outer derivative by Autograd.Grad, inner by a ForwardAccumulator on y = x·1.
        foreach (double at in new[] { 1.0, 1.7 })
        {
            var x = Tensor.Scalar(at, requiresGrad: true);
            var y = x * 1.0;
            Tensor sumInner, prodInner;
            using (var inner = new ForwardAccumulator(y, Tensor.Scalar(1.0)))
            {
                sumInner = inner.Jvp(x + y)!;
                prodInner = inner.Jvp(x * y)!;
            }
            var dSum = Autograd.Grad(x * sumInner, x)!;
            var dProd = Autograd.Grad(x * prodInner, x)!;
            Assert.Equal(1.0, dSum.Item<double>(), 14);
            Assert.Equal(2 * at, dProd.Item<double>(), 14);
        }
    }

    [Fact]
    public void ReverseOverReverseWithCreateGraphAndWithTapes()
    {
        var x = Tensor.Scalar(1.0, requiresGrad: true);
        var y = x * 1.0;
        var inner = Autograd.Grad(x + y, y, createGraph: true)!;
        Assert.Equal(1.0, Autograd.Grad(x * inner, x)!.Item<double>(), 14);

        var xv = Tensor.Scalar(1.0);
        using var outerTape = new GradientTape();
        outerTape.Watch(xv);
        var yv = xv * 1.0;
        Tensor d;
        using (var innerTape = new GradientTape())
        {
            innerTape.Watch(yv);
            d = innerTape.Gradient(xv + yv, yv)!;
        }
        Assert.Equal(1.0, outerTape.Gradient(xv * d, xv)!.Item<double>(), 14);
    }

    [Fact]
    public void ForwardOverForwardOnTheSameTensorTwice()
    {
        // Both levels watch x itself: d/dx [ x · d/dx(x·x) ] = d/dx [2x²] = 4x; the outer JVP of the
        // inner derivative must not see the inner tangent of x (it would give 6x) or reuse it.
        var x = Tensor.Scalar(1.25);
        using var outer = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        Tensor d;
        using (var inner = new ForwardAccumulator(x, Tensor.Scalar(1.0)))
            d = inner.Jvp(x * x)!;
        Assert.Equal(2.5, d.Item<double>(), 14);
        Assert.Equal(5.0, outer.Jvp(x * d)!.Item<double>(), 14);
    }
    [Fact]
    public void InnerDerivativeByFunctionalHelpers()
    {
        // The inner derivative by Autograd.Jvp (forward) and Autograd.Vjp (reverse), evaluated at y = x
        // (x itself, carrying the outer tangent), inside an outer accumulator on x.
        foreach (double at in new[] { 1.0, 1.7 })
        {
            var x = Tensor.Scalar(at);
            using var outer = new ForwardAccumulator(x, Tensor.Scalar(1.0));
            var one = Tensor.Scalar(1.0);
            var jSum = Autograd.Jvp(y => x + y, x, one).Result;
            var jProd = Autograd.Jvp(y => x * y, x, one).Result;
            var vSum = Autograd.Vjp(y => x + y, x).Result;
            var vProd = Autograd.Vjp(y => x * y, x).Result;
            Assert.Equal(1.0, outer.Jvp(x * jSum)!.Item<double>(), 14);
            Assert.Equal(2 * at, outer.Jvp(x * jProd)!.Item<double>(), 14);
            Assert.Equal(1.0, outer.Jvp(x * vSum)!.Item<double>(), 14);
            Assert.Equal(2 * at, outer.Jvp(x * vProd)!.Item<double>(), 14);
        }
    }
}
