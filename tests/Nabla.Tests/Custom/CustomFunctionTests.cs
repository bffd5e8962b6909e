using static Nabla.Tests.Custom.Fd;

namespace Nabla.Tests.Custom;

/// <summary>PyTorch-style custom functions through every front end: Backward/.Grad, Autograd.Grad, tapes, forward mode.</summary>
public class CustomFunctionTests
{
    static readonly double[] Xs = [-1.5, 0.25, 2.0];

    static Tensor X(bool requiresGrad = true) => Tensor.FromArray(Xs, [3], requiresGrad);

    static void Close(double[] expected, double[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"element {i}: {actual[i]:R} vs expected {expected[i]:R}");
    }

    static double[] ExpOf(double[] x) => Array.ConvertAll(x, Math.Exp);

    [Fact]
    public void CustomExpValueGradFnAndBackward()
    {
        var f = new MyExp();
        var x = X();
        var y = f.Apply(x);
        Close(ExpOf(Xs), D(y), 1e-15);
        Assert.Equal("MyExpBackward", y.GradFn!.Name);
        Assert.False(y.IsLeaf);
        Assert.True(y.RequiresGrad);

        var w = Tensor.FromArray(new double[] { 1, -2, 3 }, [3]);
        (y * w).Sum().Backward();
        Close([Math.Exp(-1.5), -2 * Math.Exp(0.25), 3 * Math.Exp(2.0)], D(x.Grad!), 1e-15);
        Close(Gradient(t => (new MyExp().Apply(t) * w).Sum(), Xs, [3]), D(x.Grad!), 1e-8);
        Assert.Equal(1, f.ForwardCalls);
        Assert.Equal(1, f.BackwardCalls);
    }

    [Fact]
    public void CustomExpWithAutogradGradLeavesGradUntouched()
    {
        var x = X();
        var y = new MyExp().Apply(x).Sum();
        var g = Autograd.Grad(y, x)!;
        Close(ExpOf(Xs), D(g), 1e-15);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void CustomExpInsideGradientTapeWithVariable()
    {
        var v = new Variable(Tensor.FromArray(Xs, [3]));
        using var tape = new GradientTape();
        var y = (new MyExp().Apply(v) * 2.0).Sum();
        var g = tape.Gradient(y, v)!;
        Close(Array.ConvertAll(Xs, a => 2 * Math.Exp(a)), D(g), 1e-15);
        Assert.Null(v.Grad);
    }

    [Fact]
    public void CustomExpInsideGradientTapeWithWatchedPlainTensor()
    {
        var x = X(requiresGrad: false);
        var tape = new GradientTape();
        Tensor y;
        using (tape)
        {
            tape.Watch(x);
            y = new MyExp().Apply(x * 3.0).Sum();
        }
        var g = tape.Gradient(y, x)!;
        Close(Array.ConvertAll(Xs, a => 3 * Math.Exp(3 * a)), D(g), 1e-14);
        Assert.False(x.RequiresGrad);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void CustomExpUnwatchedPlainTensorGivesNullOnTape()
    {
        var x = X(requiresGrad: false);
        using var tape = new GradientTape();
        var y = new MyExp().Apply(x).Sum();
        Assert.Null(tape.Gradient(y, x));
    }

    [Fact]
    public void SecondAndThirdOrderWithCreateGraph()
    {
        var x = X();
        var y = new MyExp().Apply(x * 2.0).Sum();              // Σ e^{2x}
        var d1 = Autograd.Grad(y, x, createGraph: true)!;       // 2 e^{2x}
        Close(Array.ConvertAll(Xs, a => 2 * Math.Exp(2 * a)), D(d1), 1e-15);
        var d2 = Autograd.Grad(d1.Sum(), x, createGraph: true)!; // 4 e^{2x}
        Close(Array.ConvertAll(Xs, a => 4 * Math.Exp(2 * a)), D(d2), 1e-15);
        var d3 = Autograd.Grad(d2.Sum(), x)!;                    // 8 e^{2x}
        Close(Array.ConvertAll(Xs, a => 8 * Math.Exp(2 * a)), D(d3), 1e-15);
    }

    [Fact]
    public void SecondOrderWithBackwardCreateGraphAccumulatesIntoGrad()
    {
        var x = X();
        var y = new MyExp().Apply(x).Sum();
        y.Backward(createGraph: true);
        var g = x.Grad!;
        Assert.True(g.RequiresGrad);
        x.Grad = null;
        g.Sum().Backward();
        Close(ExpOf(Xs), D(x.Grad!), 1e-15);
    }

    [Fact]
    public void SecondOrderWithNestedTapes()
    {
        var v = new Variable(Tensor.FromArray(Xs, [3]));
        using var outer = new GradientTape();
        using var inner = new GradientTape();
        var y = new MyExp().Apply(v * v).Sum();                // Σ e^{x²}
        var d1 = inner.Gradient(y, v)!;                          // 2x e^{x²}
        Close(Array.ConvertAll(Xs, a => 2 * a * Math.Exp(a * a)), D(d1), 1e-14);
        var d2 = outer.Gradient(d1, v)!;                         // (2 + 4x²) e^{x²}
        Close(Array.ConvertAll(Xs, a => (2 + 4 * a * a) * Math.Exp(a * a)), D(d2), 1e-14);
    }

    [Fact]
    public void HessianVectorProductThroughCustomFunctionMatchesFiniteDifferences()
    {
        var x = X(requiresGrad: false);
        var vec = Tensor.FromArray(new double[] { 0.5, -1, 2 }, [3]);
        Func<Tensor, Tensor> f = t => new MyExp().Apply(t * t).Sum();
        var (value, hv) = Autograd.Hvp(f, x, vec);
        Assert.Equal(Xs.Sum(a => Math.Exp(a * a)), value.Item<double>(), 13);
        // H is diagonal: (2 + 4x²) e^{x²}
        var expected = new double[3];
        for (int i = 0; i < 3; i++) expected[i] = (2 + 4 * Xs[i] * Xs[i]) * Math.Exp(Xs[i] * Xs[i]) * D(vec)[i];
        Close(expected, D(hv), 1e-13);
    }

    [Fact]
    public void ForwardModeUsesJvpDerivedFromBackward()
    {
        var x = X(requiresGrad: false);
        var v = Tensor.FromArray(new double[] { 1, -0.5, 2 }, [3]);
        using (var acc = new ForwardAccumulator(x, v))
        {
            var y = new MyExp().Apply(x);
            var jvp = acc.Jvp(y)!;
            Close([Math.Exp(-1.5), -0.5 * Math.Exp(0.25), 2 * Math.Exp(2.0)], D(jvp), 1e-15);
        }
        var (output, tangent) = Autograd.Jvp(t => new MyExp().Apply(t * 2.0).Sum(), x, v);
        Assert.Equal(Xs.Sum(a => Math.Exp(2 * a)), output.Item<double>(), 13);
        double expected = 0;
        for (int i = 0; i < 3; i++) expected += 2 * Math.Exp(2 * Xs[i]) * D(v)[i];
        Assert.Equal(expected, tangent.Item<double>(), 12);
    }

    [Fact]
    public void ForwardModeDerivedJvpWorksForTwoInputsAndTwoOutputs()
    {
        var x = Tensor.FromArray(new double[] { 1, 5, 2, 7, -1, -3 }, [2, 3]);
        var w = Tensor.FromArray(new double[] { 2, 0.5, 1 }, [3]);
        var dx = Tensor.FromArray(new double[] { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 }, [2, 3]);
        using var acc = new ForwardAccumulator(x, dx);
        var outs = new ScaledRowMax().ApplyAll(x, w);
        // p = x * w = [[2, 2.5, 2], [14, -0.5, -3]]: maxima at columns 1 and 0.
        Assert.Equal(new double[] { 2.5, 14 }, D(outs[0]));
        Assert.Equal(new long[] { 1, 0 }, outs[1].ToArray<long>());
        // d value_r = w[c_r] · dx[r, c_r]
        Close([0.5 * 0.2, 2 * 0.4], D(acc.Jvp(outs[0])!), 1e-15);
        Assert.Null(acc.Jvp(outs[1]));
    }

    [Fact]
    public void ForwardModeUsesOverriddenJvp()
    {
        var f = new CubeWithJvp();
        var x = X(requiresGrad: false);
        var v = Tensor.FromArray(new double[] { 1, 2, -1 }, [3]);
        using var acc = new ForwardAccumulator(x, v);
        var y = f.Apply(x);
        Assert.Equal(1, f.JvpCalls);
        Close([3 * 2.25 * 1, 3 * 0.0625 * 2, 3 * 4.0 * -1], D(acc.Jvp(y)!), 1e-15);
        Close(Array.ConvertAll(Xs, a => a * a * a), D(y), 1e-15);
    }

    [Fact]
    public void NoTangentNoJvpCall()
    {
        var f = new CubeWithJvp();
        using var acc = new ForwardAccumulator(X(false), Tensor.FromArray(new double[] { 1, 1, 1 }, [3]));
        var other = Tensor.FromArray(new double[] { 1, 2 }, [2]);
        var y = f.Apply(other);
        Assert.Equal(0, f.JvpCalls);
        Assert.Null(acc.Jvp(y));
    }

    [Fact]
    public void SecondOrderUsesSavedInputs()
    {
        // x³ whose Backward uses the saved input: d²/dx² = 6x
        var x = X();
        var d1 = Autograd.Grad(new CubeWithJvp().Apply(x).Sum(), x, createGraph: true)!;
        Close(Array.ConvertAll(Xs, a => 3 * a * a), D(d1), 1e-15);
        Close(Array.ConvertAll(Xs, a => 6 * a), D(Autograd.Grad(d1.Sum(), x)!), 1e-15);
        var h = Autograd.Hessian(t => new CubeWithJvp().Apply(t).Sum(), X(false));
        Assert.Equal(6 * 2.0, D(h)[8], 14);
        Assert.Equal(0.0, D(h)[1]);
    }
}
