using static Nabla.Tests.Custom.Fd;

namespace Nabla.Tests.Custom;

/// <summary>Custom functions with several inputs and outputs, non-differentiable outputs, NeedsInputGrad and Items.</summary>
public class CustomFunctionOutputsTests
{
    // p = x * w = [[2, 2.5, 2], [14, -0.5, -3]]: row maxima 2.5 (column 1) and 14 (column 0).
    static readonly double[] XData = [1, 5, 2, 7, -1, -3];
    static readonly double[] WData = [2, 0.5, 1];

    static Tensor X(bool rg = true) => Tensor.FromArray(XData, [2, 3], rg);
    static Tensor W(bool rg = true) => Tensor.FromArray(WData, [3], rg);

    [Fact]
    public void ValuesAndNonDifferentiableIndices()
    {
        var f = new ScaledRowMax();
        var outs = f.ApplyAll(X(), W());
        Assert.Equal(2, outs.Length);
        Assert.Equal(new double[] { 2.5, 14 }, D(outs[0]));
        Assert.Equal(DType.Int64, outs[1].DType);
        Assert.Equal(new long[] { 1, 0 }, outs[1].ToArray<long>());
        Assert.Equal("ScaledRowMaxBackward", outs[0].GradFn!.Name);
        Assert.Null(outs[1].GradFn);
        Assert.False(outs[1].RequiresGrad);
        Assert.True(outs[1].IsLeaf);
    }

    [Fact]
    public void GradientsOfBothInputsMatchHandValuesAndFiniteDifferences()
    {
        var x = X();
        var w = W();
        var g = Tensor.FromArray(new double[] { 3, -2 }, [2]);
        var outs = new ScaledRowMax().ApplyAll(x, w);
        (outs[0] * g).Sum().Backward();
        // d/dx[r, c_r] = g_r · w[c_r]; d/dw[c_r] += g_r · x[r, c_r]
        Assert.Equal(new double[] { 0, 3 * 0.5, 0, -2 * 2, 0, 0 }, D(x.Grad!));
        Assert.Equal(new double[] { -2 * 7, 3 * 5, 0 }, D(w.Grad!));

        var fx = Gradient(t => (new ScaledRowMax().ApplyAll(t, W(false))[0] * g).Sum(), XData, [2, 3]);
        var fw = Gradient(t => (new ScaledRowMax().ApplyAll(X(false), t)[0] * g).Sum(), WData, [3]);
        for (int i = 0; i < 6; i++) Assert.Equal(fx[i], D(x.Grad!)[i], 8);
        for (int i = 0; i < 3; i++) Assert.Equal(fw[i], D(w.Grad!)[i], 8);
    }

    [Fact]
    public void NeedsInputGradFollowsRequiresGrad()
    {
        var f = new ScaledRowMax();
        var x = X();
        var w = W(rg: false);
        var outs = f.ApplyAll(x, w);
        Assert.Equal(new[] { true, false }, f.NeedsInForward);
        var gx = Autograd.Grad(outs[0].Sum(), x)!;
        Assert.Equal(new[] { true, false }, f.NeedsInBackward);
        Assert.Equal(new double[] { 0, 0.5, 0, 2, 0, 0 }, D(gx));

        var g = new ScaledRowMax();
        g.ApplyAll(X(false), W());
        Assert.Equal(new[] { false, true }, g.NeedsInForward);

        var h = new ScaledRowMax();
        using (Autograd.NoGrad()) h.ApplyAll(X(), W());
        Assert.Equal(new[] { false, false }, h.NeedsInForward);
    }

    [Fact]
    public void NeedsInputGradIsTrueForTapeWatchedPlainTensorAndTapeGradientWorks()
    {
        var f = new ScaledRowMax();
        var x = X(rg: false);
        var w = new Variable(W(false));
        using var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        var outs = f.ApplyAll(x, w);
        Assert.Equal(new[] { true, true }, f.NeedsInForward);
        var y = outs[0] * Tensor.FromArray(new double[] { 3, -2 }, [2]);
        var grads = tape.Gradient(y, [x, (Tensor)w]);
        Assert.Equal(new double[] { 0, 1.5, 0, -4, 0, 0 }, D(grads[0]!));
        Assert.Equal(new double[] { -14, 15, 0 }, D(grads[1]!));
        Assert.Null(tape.Gradient(y, outs[1]));
        Assert.Null(x.Grad);
        Assert.Null(w.Grad);
    }

    [Fact]
    public void TwoDifferentiableOutputsSumTheirContributions()
    {
        var x = Tensor.FromArray(new double[] { 0.3, -1.2 }, [2], requiresGrad: true);
        var f = new SinCos();
        var outs = f.ApplyAll(x);
        Assert.Equal(Math.Sin(0.3), D(outs[0])[0], 15);
        Assert.Equal(Math.Cos(-1.2), D(outs[1])[1], 15);
        // L = Σ 2 sin x + 3 cos x → dL/dx = 2 cos x − 3 sin x
        (outs[0] * 2.0 + outs[1] * 3.0).Sum().Backward();
        double[] xs = [0.3, -1.2];
        var grad = D(x.Grad!);
        for (int i = 0; i < 2; i++) Assert.Equal(2 * Math.Cos(xs[i]) - 3 * Math.Sin(xs[i]), grad[i], 14);

        // Only one output used: the other's gradient is zero.
        var y = new SinCos().ApplyAll(x);
        var g1 = Autograd.Grad(y[1].Sum(), x)!;
        for (int i = 0; i < 2; i++) Assert.Equal(-Math.Sin(xs[i]), D(g1)[i], 15);
    }

    [Fact]
    public void SecondOrderThroughTwoOutputs()
    {
        var x = Tensor.FromArray(new double[] { 0.3, -1.2 }, [2], requiresGrad: true);
        var outs = new SinCos().ApplyAll(x);
        var l = (outs[0] * outs[1]).Sum();              // ½ sin 2x
        var d1 = Autograd.Grad(l, x, createGraph: true)!; // cos 2x
        var d2 = Autograd.Grad(d1.Sum(), x)!;             // −2 sin 2x
        double[] xs = [0.3, -1.2];
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(Math.Cos(2 * xs[i]), D(d1)[i], 14);
            Assert.Equal(-2 * Math.Sin(2 * xs[i]), D(d2)[i], 14);
        }
    }

    [Fact]
    public void ItemsCarryNonTensorStateToBackward()
    {
        var x = Tensor.FromArray(new double[] { 1.5, -2 }, [2], requiresGrad: true);
        var y = new ScaledSquare(2.5).Apply(x);
        Assert.Equal(new double[] { 2.5 * 2.25, 10 }, D(y));
        y.Sum().Backward();
        Assert.Equal(new double[] { 7.5, -10 }, D(x.Grad!));
    }

    [Fact]
    public void OutputThatIsTheInputGetsItsOwnRecord()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var y = new Identity().Apply(x);
        Assert.NotSame(x, y);
        Assert.True(x.IsLeaf);
        Assert.Equal("IdentityBackward", y.GradFn!.Name);
        Assert.Equal(new double[] { 1, 2 }, D(y));
        y.Sum().Backward();
        Assert.Equal(new double[] { 5, 5 }, D(x.Grad!));
    }

    [Fact]
    public void FunctionOfConstantsIsNotRecorded()
    {
        var f = new MyExp();
        var y = f.Apply(Tensor.FromArray(new double[] { 0 }, [1]));
        Assert.Null(y.GradFn);
        Assert.False(y.RequiresGrad);
        Assert.Equal(1.0, y.Item<double>());
    }
}
