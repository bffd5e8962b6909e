using static Nabla.Tests.Custom.Fd;

namespace Nabla.Tests.Custom;

/// <summary>TF-style Autograd.CustomGradient (tf.custom_gradient), with TF's log(1 + eˣ) example.</summary>
public class CustomGradientTests
{
    // TF's docs example: the value log(1 + eˣ) with the gradient written as 1 − 1/(1 + eˣ).
    static readonly Func<Tensor, Tensor> Log1pExp = Autograd.CustomGradient(x =>
    {
        var e = x.Exp();
        return ((1 + e).Log(), gy => gy * (1 - 1 / (1 + e)));
    });

    static Tensor Plain(Tensor x) => (1 + x.Exp()).Log();

    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void PlainCompositeGradientIsNaNAtHundredInFloat32WhileCustomIsOne()
    {
        var x = Tensor.Scalar(100f, requiresGrad: true);
        var plain = Autograd.Grad(Plain(x), x)!.Item<float>();
        Assert.True(float.IsNaN(plain), $"plain gradient {plain}");

        var custom = Autograd.Grad(Log1pExp(x), x)!.Item<float>();
        Assert.Equal(1f, custom);
    }

    [Fact]
    public void PlainCompositeGradientIsNaNAtThousandInFloat64WhileCustomIsOne()
    {
        var x = Tensor.Scalar(1000.0, requiresGrad: true);
        Assert.True(double.IsNaN(Autograd.Grad(Plain(x), x)!.Item<double>()));
        Assert.Equal(1.0, Autograd.Grad(Log1pExp(x), x)!.Item<double>());
    }

    [Theory]
    [InlineData(-3.0)]
    [InlineData(-0.5)]
    [InlineData(0.0)]
    [InlineData(0.7)]
    [InlineData(4.0)]
    [InlineData(30.0)]
    public void ValueAndGradientMatchFiniteDifferences(double at)
    {
        var x = Tensor.Scalar(at, requiresGrad: true);
        var y = Log1pExp(x);
        Assert.Equal(Math.Log(1 + Math.Exp(at)), y.Item<double>(), 14);
        Assert.Equal("CustomGradientBackward", y.GradFn!.Name);
        var g = Autograd.Grad(y, x)!.Item<double>();
        Assert.Equal(Sigmoid(at), g, 15);
        Assert.Equal(Derivative(v => Math.Log(1 + Math.Exp(v)), at), g, 8);
    }

    [Fact]
    public void WorksOnVectorsWithBackwardAndUpstreamGradient()
    {
        double[] xs = [-2, 0.5, 3];
        var x = Tensor.FromArray(xs, [3], requiresGrad: true);
        var w = Tensor.FromArray(new double[] { 1, -3, 0.5 }, [3]);
        (Log1pExp(x) * w).Sum().Backward();
        var fd = Gradient(t => (Plain(t) * w).Sum(), xs, [3]);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(D(w)[i] * Sigmoid(xs[i]), D(x.Grad!)[i], 15);
            Assert.Equal(fd[i], D(x.Grad!)[i], 8);
        }
    }

    [Fact]
    public void InsideGradientTapeWithVariableAndWatchedTensor()
    {
        var v = new Variable(100.0);
        using (var tape = new GradientTape())
        {
            var y = Log1pExp(v) * 2.0;
            Assert.Equal(200.0, y.Item<double>(), 12);
            Assert.Equal(2.0, tape.Gradient(y, v)!.Item<double>());
        }
        Assert.Null(v.Grad);

        var x = Tensor.Scalar(0.5);
        using (var tape = new GradientTape())
        {
            tape.Watch(x);
            var y = Log1pExp(x * x);
            Assert.Equal(2 * 0.5 * Sigmoid(0.25), tape.Gradient(y, x)!.Item<double>(), 15);
        }
    }

    [Fact]
    public void SecondOrderUsesTheGradientFunctionsOps()
    {
        // d²/dx² log(1 + eˣ) = σ(x)(1 − σ(x)): the gradient function's eˣ must stay connected to x.
        foreach (double at in new[] { -1.0, 0.3, 2.0 })
        {
            double s = Sigmoid(at);
            var x = Tensor.Scalar(at, requiresGrad: true);
            var d1 = Autograd.Grad(Log1pExp(x), x, createGraph: true)!;
            Assert.Equal(s, d1.Item<double>(), 15);
            Assert.Equal(s * (1 - s), Autograd.Grad(d1, x)!.Item<double>(), 14);

            var v = new Variable(at);
            using var outer = new GradientTape();
            using var inner = new GradientTape();
            var y = Log1pExp(v);
            var g = inner.Gradient(y, v)!;
            Assert.Equal(s * (1 - s), outer.Gradient(g, v)!.Item<double>(), 14);
        }
    }

    // log(eˣ + eʸ) with the softmax weights as its gradient, computed stably.
    static readonly Func<Tensor[], Tensor> LogAddExp = Autograd.CustomGradient((Tensor[] xs) =>
    {
        var (a, b) = (xs[0], xs[1]);
        var m = Tensor.Where(a.Gt(b), a, b);
        var value = m + ((a - m).Exp() + (b - m).Exp()).Log();
        return (value, gy => new Tensor?[] { gy * (a - value).Exp(), gy * (b - value).Exp() });
    });

    [Fact]
    public void SeveralInputFormMatchesFiniteDifferences()
    {
        double[] av = [1, -2, 800], bv = [0.5, 3, 799];
        var a = Tensor.FromArray(av, [3], requiresGrad: true);
        var b = Tensor.FromArray(bv, [3], requiresGrad: true);
        var y = LogAddExp([a, b]);
        Assert.Equal(Math.Log(Math.Exp(1) + Math.Exp(0.5)), D(y)[0], 14);
        Assert.Equal(800 + Math.Log(1 + Math.Exp(-1)), D(y)[2], 13);
        y.Sum().Backward();
        for (int i = 0; i < 3; i++)
        {
            double wa = 1 / (1 + Math.Exp(bv[i] - av[i]));
            Assert.Equal(wa, D(a.Grad!)[i], 12);  // exp(a − value) with value ≈ 800: ulp(800) ≈ 1e-13
            Assert.Equal(1 - wa, D(b.Grad!)[i], 12);
        }
        // (finite differences on the first two entries only: a sum near 1600 would drown them in rounding)
        var fda = Gradient(t => LogAddExp([t, Tensor.FromArray(bv[..2], [2])]).Sum(), av[..2], [2]);
        for (int i = 0; i < 2; i++) Assert.Equal(fda[i], D(a.Grad!)[i], 8);
    }

    [Fact]
    public void SeveralInputFormWithNullGradientForAnInput()
    {
        var scaleByConstant = Autograd.CustomGradient((Tensor[] xs) =>
            (xs[0] * xs[1], gy => new Tensor?[] { gy * xs[1], null }));
        var x = Tensor.FromArray(new double[] { 2, 3 }, [2], requiresGrad: true);
        var k = Tensor.FromArray(new double[] { 5, 7 }, [2], requiresGrad: true);
        var y = scaleByConstant([x, k]);
        Assert.Equal(new double[] { 10, 21 }, D(y));
        y.Sum().Backward();
        Assert.Equal(new double[] { 5, 7 }, D(x.Grad!));
        Assert.Null(k.Grad);
    }

    [Fact]
    public void UnderNoGradNothingIsRecorded()
    {
        var x = Tensor.Scalar(1.0, requiresGrad: true);
        Tensor y;
        using (Autograd.NoGrad()) y = Log1pExp(x);
        Assert.Null(y.GradFn);
        Assert.Equal(Math.Log(1 + Math.E), y.Item<double>(), 15);
    }

    [Fact]
    public void ForwardModeThroughCustomGradient()
    {
        var x = Tensor.Scalar(0.4);
        var (value, tangent) = Autograd.Jvp(Log1pExp, x, Tensor.Scalar(3.0));
        Assert.Equal(Math.Log(1 + Math.Exp(0.4)), value.Item<double>(), 15);
        Assert.Equal(3 * Sigmoid(0.4), tangent.Item<double>(), 14);

        // the output's tangent comes from the custom gradient, not from f's own (NaN) derivative
        var (_, big) = Autograd.Jvp(Log1pExp, Tensor.Scalar(100f), Tensor.Scalar(2f));
        Assert.Equal(2f, big.Item<float>());
        var (_, plainBig) = Autograd.Jvp(Plain, Tensor.Scalar(100f), Tensor.Scalar(2f));
        Assert.True(float.IsNaN(plainBig.Item<float>()));
    }

    [Fact]
    public void SecondBackwardWithoutRetainGraphThrows()
    {
        var x = Tensor.Scalar(1.0, requiresGrad: true);
        var y = Log1pExp(x);
        y.Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("CustomGradientBackward", ex.Message);
        Assert.Contains("retainGraph", ex.Message);
    }

    [Fact]
    public void HessianVectorProductThroughCustomGradient()
    {
        // forward-over-reverse: the gradient function's eˣ must carry the tangent too
        double[] xs = [-1, 0.5, 2];
        var x = Tensor.FromArray(xs, [3]);
        var v = Tensor.FromArray(new double[] { 1, -2, 0.5 }, [3]);
        var (_, hv) = Autograd.Hvp(t => Log1pExp(t).Sum(), x, v);
        for (int i = 0; i < 3; i++)
        {
            double s = Sigmoid(xs[i]);
            Assert.Equal(s * (1 - s) * D(v)[i], D(hv)[i], 14);
        }
        var h = Autograd.Hessian(t => Log1pExp(t).Sum(), x);
        Assert.Equal(Sigmoid(2) * (1 - Sigmoid(2)), D(h)[8], 14);
    }
}
