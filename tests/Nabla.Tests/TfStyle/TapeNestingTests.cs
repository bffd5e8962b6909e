namespace Nabla.Tests.TfStyle;

/// <summary>Higher derivatives with nested tapes, alone and mixed with Autograd.Grad(createGraph).</summary>
public class TapeNestingTests
{
    const double Tight = 1e-12;

    /// <summary>d/dx f at x by a float64 central difference (error ~1e-10 for the smooth functions here).</summary>
    static double Fd(Func<double, double> f, double x, double h = 1e-5) => (f(x + h) - f(x - h)) / (2 * h);

    static void Close(double expected, double actual, double tol, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tol * (1 + Math.Abs(expected)),
            $"{what}: {actual:R}, expected {expected:R}");

    /// <summary>First, second and third derivatives of <paramref name="f"/> at x with three nested tapes.</summary>
    static (double D1, double D2, double D3) ThreeOrders(Func<Tensor, Tensor> f, double x0)
    {
        var x = new Variable(x0);
        using var t3 = new GradientTape();
        using var t2 = new GradientTape();
        using var t1 = new GradientTape();
        var y = f(x);
        var d1 = t1.Gradient(y, x)!;
        var d2 = t2.Gradient(d1, x)!;
        var d3 = t3.Gradient(d2, x)!;
        return (d1.Item<double>(), d2.Item<double>(), d3.Item<double>());
    }

    [Fact]
    public void PolynomialToThirdOrder()
    {
        // f = x^3 + 2x^2 - 5x at 1.5: f' = 3x^2 + 4x - 5 = 7.75, f'' = 6x + 4 = 13, f''' = 6.
        var (d1, d2, d3) = ThreeOrders(x => x * x * x + 2 * x * x - 5 * x, 1.5);
        Close(7.75, d1, Tight, "f'");
        Close(13.0, d2, Tight, "f''");
        Close(6.0, d3, Tight, "f'''");
    }

    [Fact]
    public void FourthOrderAndBeyond()
    {
        var x = new Variable(2.0);
        var tapes = Enumerable.Range(0, 5).Select(_ => new GradientTape()).ToArray();   // tapes[4] innermost
        Tensor d = x * x * x * x * x;                  // x^5
        double[] expected = [80, 160, 240, 240, 120];   // 5x^4, 20x^3, 60x^2, 120x, 120
        for (int k = 0; k < 5; k++)
        {
            d = tapes[4 - k].Gradient(d, x)!;
            Close(expected[k], d.Item<double>(), Tight, $"order {k + 1}");
        }
        foreach (var t in tapes) t.Dispose();
    }

    [Fact]
    public void ExpOfSinToThirdOrder()
    {
        const double x0 = 0.7;
        double s = Math.Sin(x0), c = Math.Cos(x0), e = Math.Exp(s);
        Func<double, double> d2 = x => (Math.Cos(x) * Math.Cos(x) - Math.Sin(x)) * Math.Exp(Math.Sin(x));
        var (g1, g2, g3) = ThreeOrders(x => x.Sin().Exp(), x0);
        Close(c * e, g1, Tight, "f'");
        Close((c * c - s) * e, g2, Tight, "f''");
        Close(Fd(d2, x0), g3, 1e-8, "f''' vs finite differences of f''");
    }

    [Fact]
    public void ExpTimesSinToThirdOrder()
    {
        // f = e^x sin x: f' = e^x (sin + cos), f'' = 2 e^x cos, f''' = 2 e^x (cos - sin).
        const double x0 = -0.4;
        double e = Math.Exp(x0), s = Math.Sin(x0), c = Math.Cos(x0);
        var (g1, g2, g3) = ThreeOrders(x => x.Exp() * x.Sin(), x0);
        Close(e * (s + c), g1, Tight, "f'");
        Close(2 * e * c, g2, Tight, "f''");
        Close(2 * e * (c - s), g3, Tight, "f'''");
    }

    [Fact]
    public void TanhOfSquareAgainstFiniteDifferences()
    {
        const double x0 = 0.8;
        Func<double, double> f = x => Math.Tanh(x * x);
        Func<double, double> d1 = x => 2 * x / Math.Pow(Math.Cosh(x * x), 2);
        Func<double, double> d2 = x => Fd(d1, x);
        var (g1, g2, g3) = ThreeOrders(x => (x * x).Tanh(), x0);
        Close(Fd(f, x0), g1, 1e-9, "f'");
        Close(d1(x0), g1, Tight, "f' (analytic)");
        Close(Fd(d1, x0), g2, 1e-8, "f''");
        Close(Fd(d2, x0, 1e-3), g3, 1e-5, "f'''");
    }

    [Fact]
    public void MixedPartialOfTwoVariables()
    {
        // f = x^2 y^3 + sin(x y); d2f/dxdy = 6 x y^2 + cos(xy) - x y sin(xy).
        const double x0 = 0.9, y0 = -1.3;
        Func<double, double, double> f = (x, y) => x * x * y * y * y + Math.Sin(x * y);
        var x = new Variable(x0);
        var y = new Variable(y0);
        Tensor dfdx, dfdy;
        var outer = new GradientTape(persistent: true);
        using (outer)
        {
            using var inner = new GradientTape(persistent: true);
            var v = x * x * y * y * y + (x * y).Sin();
            dfdx = inner.Gradient(v, x)!;
            dfdy = inner.Gradient(v, y)!;
        }
        double dxdy = outer.Gradient(dfdx, y)!.Item<double>();
        double dydx = outer.Gradient(dfdy, x)!.Item<double>();
        Close(2 * y0 * y0 * y0 - y0 * y0 * Math.Sin(x0 * y0), outer.Gradient(dfdx, x)!.Item<double>(), Tight, "d2f/dx2");
        Close(6 * x0 * x0 * y0 - x0 * x0 * Math.Sin(x0 * y0), outer.Gradient(dfdy, y)!.Item<double>(), Tight, "d2f/dy2");
        double h = 1e-4;
        double fd = (f(x0 + h, y0 + h) - f(x0 + h, y0 - h) - f(x0 - h, y0 + h) + f(x0 - h, y0 - h)) / (4 * h * h);
        double exact = 6 * x0 * y0 * y0 + Math.Cos(x0 * y0) - x0 * y0 * Math.Sin(x0 * y0);
        Close(exact, dxdy, Tight, "d2f/dxdy");
        Close(exact, dydx, Tight, "d2f/dydx");
        Close(fd, dxdy, 1e-6, "d2f/dxdy vs finite differences");
        Close(2 * x0 * y0 * y0 * y0 + y0 * Math.Cos(x0 * y0), dfdx.Item<double>(), Tight, "df/dx");
    }

    [Fact]
    public void PersistentTapeDifferentiatesItsOwnGradientInsideItsScope()
    {
        // TF: a persistent tape's gradient taken inside its context is recorded on the tape itself.
        var x = new Variable(4.0);
        Tensor dy, d2y;
        using (var tape = new GradientTape(persistent: true))
        {
            var y = x * x * x;
            dy = tape.Gradient(y, x)!;
            d2y = tape.Gradient(dy, x)!;
        }
        Assert.Equal(48.0, dy.Item<double>());
        Assert.Equal(24.0, d2y.Item<double>());
    }

    [Fact]
    public void NonPersistentGradientInsideItsScopeStopsRecording()
    {
        // TF pops a non-persistent tape when gradient() is called inside its context.
        var x = new Variable(3.0);
        using var tape = new GradientTape();
        var y = x * x;
        var dy = tape.Gradient(y, x)!;
        Assert.Equal(6.0, dy.Item<double>());
        Assert.Null(dy.GradFn);                     // nothing recorded the gradient computation
        Assert.False(dy.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => tape.StopRecording());
        var later = x * dy;
        Assert.Contains("not computed from watched tensors while this tape was recording", tape.ExplainNullGradient(later, x));
        Assert.Throws<InvalidOperationException>(() => tape.Gradient(later, x));
    }

    [Fact]
    public void SeedExampleWithUsingVar()
    {
        var x = new Variable(2.0f);
        using var outer = new GradientTape();
        using var inner = new GradientTape();
        var v = x * x + 3 * x;
        var dv = inner.Gradient(v, x)!;
        Assert.Equal(7f, dv.Item<float>());
        Assert.Equal(2f, outer.Gradient(dv, x)!.Item<float>());
        var after = x * x;                           // both tapes stopped recording when used
        Assert.Contains("not computed from watched tensors while this tape was recording", outer.ExplainNullGradient(after, x));
        Assert.Contains("not computed from watched tensors while this tape was recording", inner.ExplainNullGradient(after, x));
    }

    [Fact]
    public void OuterTapeOverAutogradGradWithCreateGraph()
    {
        var x = new Variable(1.5);
        var tape = new GradientTape();
        Tensor g;
        using (tape)
        {
            var y = x.Sin() * x;                                  // f = x sin x
            g = Autograd.Grad(y, x, createGraph: true)!;         // sin x + x cos x
        }
        Close(Math.Sin(1.5) + 1.5 * Math.Cos(1.5), g.Item<double>(), Tight, "f'");
        // f'' = 2 cos x - x sin x
        Close(2 * Math.Cos(1.5) - 1.5 * Math.Sin(1.5), tape.Gradient(g, x)!.Item<double>(), Tight, "f''");
        Assert.Null(x.Grad);
    }

    [Fact]
    public void OuterTapeOverAutogradGradWithoutCreateGraphIsUnconnected()
    {
        var x = new Variable(1.5);
        var tape = new GradientTape();
        Tensor g;
        using (tape) g = Autograd.Grad(x * x * x, x)!;            // not recorded: no createGraph
        Assert.Null(tape.Gradient(g, x));
    }

    [Fact]
    public void AutogradGradOverATapeGradientRecordedByAnOuterTape()
    {
        var x = new Variable(0.5);
        Tensor dy;
        using (new GradientTape())                     // a recording context makes the tape gradient differentiable
        {
            var inner = new GradientTape();
            Tensor y;
            using (inner) y = (x * x).Exp();          // f = e^{x^2}
            dy = inner.Gradient(y, x)!;               // 2x e^{x^2}
        }
        double e = Math.Exp(0.25);
        Close(2 * 0.5 * e, dy.Item<double>(), Tight, "f'");
        var d2 = Autograd.Grad(dy, x)!;               // (2 + 4x^2) e^{x^2}
        Close((2 + 4 * 0.25) * e, d2.Item<double>(), Tight, "f''");
        Assert.Null(x.Grad);
    }

    [Fact]
    public void AutogradGradOverAPersistentTapeGradientInItsScope()
    {
        var x = Tensor.Scalar(2.0, requiresGrad: true);
        Tensor dy;
        using (var tape = new GradientTape(persistent: true))
        {
            tape.Watch(x);
            var y = x * x * x * x;
            dy = tape.Gradient(y, x)!;                 // 4x^3 = 32, recorded on the tape itself
        }
        Assert.Equal(32.0, dy.Item<double>());
        dy.Backward();
        Assert.Equal(48.0, x.Grad!.Item<double>());      // 12x^2
    }

    [Fact]
    public void InnerGradientUnderOuterStopRecordingIsAConstant()
    {
        var x = new Variable(2.0);
        using var outer = new GradientTape(persistent: true);
        Tensor dy;
        var inner = new GradientTape();
        using (inner) { var y = x * x * x; using (outer.StopRecording()) dy = inner.Gradient(y, x)!; }
        Assert.Equal(12.0, dy.Item<double>());
        Assert.Null(outer.Gradient(dy, x));
        var z = dy * x;                                   // recorded: dy is a constant 12
        Assert.Equal(12.0, outer.Gradient(z, x)!.Item<double>());
    }

    [Fact]
    public void HessianVectorProductOfAVectorFunction()
    {
        // f = sum(x^3) + x0 x1; H = diag(6x) + [[0,1],[1,0]]; H v for v = [1, -2].
        var x = new Variable(Tensor.FromArray([1.0, 2.0], [2]));
        var outer = new GradientTape();
        Tensor g;
        using (outer)
        {
            using var inner = new GradientTape();
            var swap = Tensor.FromArray([0.0, 1.0, 1.0, 0.0], [2, 2]);
            var f = (x * x * x).Sum() + x.MatMul(swap.MatMul(x)) * 0.5;    // + x0 x1
            g = inner.Gradient(f, x)!;                   // [3x0^2 + x1, 3x1^2 + x0] = [5, 13]
        }
        Assert.Equal([5.0, 13.0], g.ToDoubleArray());
        var hv = outer.Gradient(g, x, outputGradient: Tensor.FromArray([1.0, -2.0], [2]))!;
        Assert.Equal([6.0 * 1 - 2, 1 - 2 * 12.0], hv.ToDoubleArray());
    }

    [Fact]
    public void OuterTapeOverBackwardWithCreateGraph()
    {
        var x = new Variable(2.0);
        var tape = new GradientTape();
        using (tape) (x * x * x).Backward(createGraph: true);   // x.Grad = 3x^2, recorded by the tape
        Assert.Equal(12.0, x.Grad!.Item<double>());
        Assert.Equal(12.0, tape.Gradient(x.Grad, x)!.Item<double>());   // 6x
    }
}
