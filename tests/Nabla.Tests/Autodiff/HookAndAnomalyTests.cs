namespace Nabla.Tests.Autodiff;

public class HookAndAnomalyTests
{
    [Fact]
    public void HookReplacesGradientUntilRemoved()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var y = x * 3.0;
        var handle = y.RegisterHook(g => g * 10.0);
        y.Sum().Backward(retainGraph: true);
        Assert.Equal(new double[] { 30, 30 }, x.Grad!.ToArray<double>());

        handle.Dispose();
        x.Grad = null;
        y.Sum().Backward();
        Assert.Equal(new double[] { 3, 3 }, x.Grad!.ToArray<double>());
        handle.Dispose();  // twice is harmless
    }

    [Fact]
    public void HookReturningNullObservesAndLeafHookChangesGrad()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        double[]? seen = null;
        using (x.RegisterHook(g => { seen = g.ToArray<double>(); return null; }))
        using (x.RegisterHook(g => g * 2.0))
            (x * x).Sum().Backward();
        Assert.Equal(new double[] { 2, 4 }, seen);                           // before the doubling hook
        Assert.Equal(new double[] { 4, 8 }, x.Grad!.ToArray<double>());

        var hooked = Autograd.Grad((x * x).Sum(), x)!;  // hooks are removed: plain 2x
        Assert.Equal(new double[] { 2, 4 }, hooked.ToArray<double>());
    }

    [Fact]
    public void HookOnTensorWithoutGradThrows()
    {
        var x = Tensor.Scalar(1.0);
        Assert.Throws<InvalidOperationException>(() => x.RegisterHook(g => g));
    }

    [Fact]
    public void DetectAnomalyNamesForwardOpAndCaller()
    {
        var x = Tensor.FromArray(new double[] { -1 }, [1], requiresGrad: true);
        Assert.True(double.IsNaN(x.Log().Item<double>()));  // without the scope NaN just flows
        using (Autograd.DetectAnomaly())
        {
            var ex = Assert.Throws<ArithmeticException>(() => x.Log());
            Assert.Contains("log", ex.Message);
            Assert.Contains("HookAndAnomalyTests.cs", ex.Message);
        }
        Assert.True(double.IsNaN(x.Log().Item<double>()));  // the scope ended
    }

    [Fact]
    public void DetectAnomalyCatchesNonFiniteGradient()
    {
        // log(0) = -Inf is computed outside the scope; its backward 1/0 = Inf is caught inside it.
        var x = Tensor.FromArray(new double[] { 0 }, [1], requiresGrad: true);
        var y = x.Log();
        using (Autograd.DetectAnomaly())
        {
            var ex = Assert.Throws<ArithmeticException>(() => y.Backward());
            Assert.Contains("LogBackward", ex.Message);
            Assert.DoesNotContain("in forward", ex.Message);
        }
    }

    [Fact]
    public void DetectAnomalyInBackwardNamesTheNodeAndItsForwardCaller()
    {
        // log(1e-310) = -713.8 is finite, but its gradient 1/1e-310 overflows to Inf.
        var x = Tensor.FromArray(new double[] { 1e-310 }, [1], requiresGrad: true);
        using (Autograd.DetectAnomaly())
        {
            var y = x.Log();
            Assert.Equal(Math.Log(1e-310), y.Item<double>());
            var ex = Assert.Throws<ArithmeticException>(() => y.Backward());
            Assert.Contains("LogBackward", ex.Message);
            Assert.Contains("HookAndAnomalyTests.cs", ex.Message);
        }
    }

    [Fact]
    public void RetainedGradIncludesHooksRegisteredAfterRetainGrad()
    {
        // As in PyTorch, the retains-grad hook runs after all tensor hooks whatever the registration order.
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var h = x * x;
        h.RetainGrad();
        using (h.RegisterHook(g => g * 10.0))
            (h * 3.0).Sum().Backward();
        Assert.Equal(new double[] { 30, 30 }, h.Grad!.ToArray<double>());
        Assert.Equal(new double[] { 60, 120 }, x.Grad!.ToArray<double>());
    }
}
