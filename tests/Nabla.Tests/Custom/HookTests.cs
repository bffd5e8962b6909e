using static Nabla.Tests.Custom.Fd;

namespace Nabla.Tests.Custom;

/// <summary>Tensor hooks (RegisterHook) and post-accumulate-grad hooks on leaves.</summary>
public class HookTests
{
    static Tensor X() => Tensor.FromArray(new double[] { 1, 2, 3 }, [3], requiresGrad: true);

    [Fact]
    public void LeafHookReplacesTheGradientInGradAndInAutogradGrad()
    {
        var x = X();
        using (x.RegisterHook(g => g * 3.0))
        {
            (x * x).Sum().Backward();                       // 2x, tripled
            Assert.Equal(new double[] { 6, 12, 18 }, D(x.Grad!));
            var g = Autograd.Grad((x * x).Sum(), x)!;
            Assert.Equal(new double[] { 6, 12, 18 }, D(g));
        }
        Assert.Equal(new double[] { 6, 12, 18 }, D(x.Grad!));  // Autograd.Grad did not touch .Grad
    }

    [Fact]
    public void NullReturnKeepsTheGradientAndSeesIt()
    {
        var x = X();
        var seen = new List<double[]>();
        using var h = x.RegisterHook(g => { seen.Add(D(g)); return null; });
        (x * 5.0).Sum().Backward();
        Assert.Equal(new double[] { 5, 5, 5 }, D(x.Grad!));
        Assert.Single(seen);
        Assert.Equal(new double[] { 5, 5, 5 }, seen[0]);
    }

    [Fact]
    public void SeveralHooksComposeInRegistrationOrder()
    {
        var x = X();
        var order = new List<string>();
        using var a = x.RegisterHook(g => { order.Add("a"); return g + 1.0; });
        using var b = x.RegisterHook(g => { order.Add("b"); return g * 10.0; });
        using var c = x.RegisterHook(g => { order.Add("c"); return null; });
        (x * 2.0).Sum().Backward();
        Assert.Equal(["a", "b", "c"], order);
        Assert.Equal(new double[] { 30, 30, 30 }, D(x.Grad!));   // (2 + 1) · 10, not 2 · 10 + 1
    }

    [Fact]
    public void DisposingOneHandleRemovesOnlyThatHook()
    {
        var x = X();
        var a = x.RegisterHook(g => g + 1.0);
        using var b = x.RegisterHook(g => g * 10.0);
        a.Dispose();
        (x * 2.0).Sum().Backward();
        Assert.Equal(new double[] { 20, 20, 20 }, D(x.Grad!));
        a.Dispose();  // twice is harmless
        b.Dispose();
        x.Grad = null;
        (x * 2.0).Sum().Backward();
        Assert.Equal(new double[] { 2, 2, 2 }, D(x.Grad!));
    }

    [Fact]
    public void LeafHookRunsOnceOnTheSummedGradient()
    {
        var x = X();
        var calls = new List<double[]>();
        using var h = x.RegisterHook(g => { calls.Add(D(g)); return null; });
        (x * x + x * 4.0).Sum().Backward();                 // 2x + 4
        Assert.Single(calls);
        Assert.Equal(new double[] { 6, 8, 10 }, calls[0]);
    }

    [Fact]
    public void NonLeafHookChangesWhatFlowsToTheLeaves()
    {
        var x = X();
        var h = x * x;                                       // dh/dx = 2x
        using var handle = h.RegisterHook(g => g * Tensor.FromArray(new double[] { 1, 0, -1 }, [3]));
        (h * 3.0).Sum().Backward(retainGraph: true);        // h's graph (x · x) is used again below
        Assert.Equal(new double[] { 6, 0, -18 }, D(x.Grad!));
        Assert.True(x.IsLeaf);
        Assert.False(h.IsLeaf);

        var viaGrad = Autograd.Grad((h * 3.0).Sum(), x, retainGraph: true)!;
        Assert.Equal(new double[] { 6, 0, -18 }, D(viaGrad));
        // capturing the hooked tensor itself returns the hooked gradient
        var atH = Autograd.Grad((h * 3.0).Sum(), h)!;
        Assert.Equal(new double[] { 3, 0, -3 }, D(atH));
    }

    [Fact]
    public void HookResultIsDifferentiableWithCreateGraph()
    {
        var x = Tensor.Scalar(2.0, requiresGrad: true);
        var y = x * x * x;                                   // y' = 3x² = 12, y'' = 6x = 12
        using var h = y.RegisterHook(g => g * x);            // gradient flowing into y scaled by x
        var d1 = Autograd.Grad(y, x, createGraph: true)!;    // x · 3x² = 3x³ = 24
        Assert.Equal(24.0, d1.Item<double>());
        Assert.Equal(36.0, Autograd.Grad(d1, x)!.Item<double>());  // 9x² = 36
    }

    [Fact]
    public void HookReturningWrongShapeOrDTypeIsAnError()
    {
        var x = X();
        using (x.RegisterHook(g => g.Sum()))
        {
            var ex = Assert.Throws<InvalidOperationException>(() => (x * 2.0).Sum().Backward());
            Assert.Contains("RegisterHook", ex.Message);
            Assert.Contains("[3]", ex.Message);
            Assert.Contains("same shape", ex.Message);
        }
        var y = x * 2.0;
        using (y.RegisterHook(g => g.To(DType.Float32)))
        {
            var ex = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
            Assert.Contains("float32", ex.Message);
            Assert.Contains("float64", ex.Message);
        }
    }

    [Fact]
    public void PostAccumulateHookSeesTheUpdatedGradOncePerBackward()
    {
        var x = X();
        var seen = new List<double[]>();
        var handle = x.RegisterPostAccumulateGradHook(t =>
        {
            Assert.Same(x, t);
            seen.Add(D(t.Grad!));
        });
        (x * x + x).Sum().Backward();                          // 2x + 1, x used twice: still one call
        Assert.Single(seen);
        Assert.Equal(new double[] { 3, 5, 7 }, seen[0]);
        (x * 2.0).Sum().Backward();                            // accumulates: 2x + 3
        Assert.Equal(2, seen.Count);
        Assert.Equal(new double[] { 5, 7, 9 }, seen[1]);

        _ = Autograd.Grad((x * x).Sum(), x);                   // .Grad untouched: the hook does not run
        Assert.Equal(2, seen.Count);

        handle.Dispose();
        (x * 2.0).Sum().Backward();
        Assert.Equal(2, seen.Count);
        Assert.Equal(new double[] { 7, 9, 11 }, D(x.Grad!));
    }

    [Fact]
    public void PostAccumulateHookRunsAfterTensorHooks()
    {
        var x = X();
        double[]? seen = null;
        using var post = x.RegisterPostAccumulateGradHook(t => seen = D(t.Grad!));
        using var pre = x.RegisterHook(g => g * -1.0);
        (x * 4.0).Sum().Backward();
        Assert.Equal(new double[] { -4, -4, -4 }, seen);
    }

    [Fact]
    public void PostAccumulateHookCanStepAnOptimizerPerParameter()
    {
        var w = Tensor.FromArray(new double[] { 1, -1 }, [2], requiresGrad: true);
        using var step = w.RegisterPostAccumulateGradHook(p =>
        {
            using (Autograd.NoGrad()) p.SubInPlace(p.Grad! * 0.5);
            p.Grad = null;
        });
        var target = Tensor.FromArray(new double[] { 3, 2 }, [2]);
        (w - target).Square().Sum().Backward();                 // grad 2(w − t) = [−4, −6]
        Assert.Equal(new double[] { 3, 2 }, D(w));
        Assert.Null(w.Grad);
    }

    [Fact]
    public void PostAccumulateHookErrors()
    {
        var x = X();
        var y = x * 2.0;
        var ex = Assert.Throws<InvalidOperationException>(() => y.RegisterPostAccumulateGradHook(_ => { }));
        Assert.Contains("leaf", ex.Message);
        Assert.Throws<InvalidOperationException>(() => Tensor.Scalar(1.0).RegisterPostAccumulateGradHook(_ => { }));
        Assert.Throws<ArgumentNullException>(() => x.RegisterPostAccumulateGradHook(null!));
    }
}
