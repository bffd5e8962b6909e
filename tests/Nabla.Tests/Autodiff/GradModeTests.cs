namespace Nabla.Tests.Autodiff;

/// <summary>NoGrad / EnableGrad / SetGradEnabled scopes: nesting, restoring, and per-async-flow state.</summary>
public class GradModeTests
{
    [Fact]
    public void ScopesNestAndRestore()
    {
        Assert.True(Autograd.IsGradEnabled);
        using (Autograd.NoGrad())
        {
            Assert.False(Autograd.IsGradEnabled);
            using (Autograd.EnableGrad())
            {
                Assert.True(Autograd.IsGradEnabled);
                using (Autograd.SetGradEnabled(false)) Assert.False(Autograd.IsGradEnabled);
                Assert.True(Autograd.IsGradEnabled);
            }
            Assert.False(Autograd.IsGradEnabled);
            using (Autograd.SetGradEnabled(true)) Assert.True(Autograd.IsGradEnabled);
            Assert.False(Autograd.IsGradEnabled);
        }
        Assert.True(Autograd.IsGradEnabled);
    }

    [Fact]
    public void DisposingTwiceIsHarmless()
    {
        var outer = Autograd.NoGrad();
        var inner = Autograd.EnableGrad();
        inner.Dispose();
        Assert.False(Autograd.IsGradEnabled);
        inner.Dispose();
        Assert.False(Autograd.IsGradEnabled);
        outer.Dispose();
        Assert.True(Autograd.IsGradEnabled);
    }

    [Fact]
    public void NoGradStopsRecordingAndEnableGradResumesIt()
    {
        var x = Tensor.Scalar(2.0, requiresGrad: true);
        Tensor a, b;
        using (Autograd.NoGrad())
        {
            a = x * x;
            using (Autograd.EnableGrad()) b = x * x;
        }
        Assert.False(a.RequiresGrad);
        Assert.Null(a.GradFn);
        Assert.True(b.RequiresGrad);
        Assert.Equal(4.0, Autograd.Grad(b, x)!.Item<double>());
    }

    [Fact]
    public async Task NoGradSurvivesAwait()
    {
        using (Autograd.NoGrad())
        {
            await Task.Yield();
            Assert.False(Autograd.IsGradEnabled);
            var x = Tensor.Scalar(1.0, requiresGrad: true);
            Assert.False((x * x).RequiresGrad);
            await Task.Delay(1);
            Assert.False(Autograd.IsGradEnabled);
        }
        Assert.True(Autograd.IsGradEnabled);
    }

    [Fact]
    public async Task NoGradDoesNotLeakIntoATaskStartedBefore()
    {
        using var started = new ManualResetEventSlim();
        using var noGradIsSet = new ManualResetEventSlim();
        var task = Task.Run(() =>
        {
            started.Set();
            noGradIsSet.Wait();  // runs while the other flow is inside NoGrad
            var x = Tensor.Scalar(1.0, requiresGrad: true);
            return (Autograd.IsGradEnabled, (x * x).RequiresGrad);
        });
        started.Wait();
        using (Autograd.NoGrad())
        {
            noGradIsSet.Set();
            var (enabled, recorded) = await task;
            Assert.True(enabled);
            Assert.True(recorded);
            Assert.False(Autograd.IsGradEnabled);
        }
    }

    [Fact]
    public async Task NoGradInATaskDoesNotLeakBack()
    {
        await Task.Run(() =>
        {
            var scope = Autograd.NoGrad();  // never disposed: the state must still stay in that flow
            Assert.False(Autograd.IsGradEnabled);
            GC.KeepAlive(scope);
        });
        Assert.True(Autograd.IsGradEnabled);
    }

    [Fact]
    public async Task PoolThreadsThatRanALeakedNoGradScopeRecordAgainForOtherWork()
    {
        // Grad mode is mirrored into a thread-static for speed: a pool thread that ran a task which left
        // NoGrad open must see grad mode on again when it runs other work (the execution context switched).
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => { var leaked = Autograd.NoGrad(); GC.KeepAlive(leaked); })));
        var seen = await Task.WhenAll(Enumerable.Range(0, 256).Select(_ => Task.Run(() =>
        {
            var x = Tensor.Scalar(2.0, requiresGrad: true);
            return (Autograd.IsGradEnabled, Recorded: (x * x).GradFn is not null);
        })));
        Assert.All(seen, s => Assert.True(s.IsGradEnabled && s.Recorded));
        Assert.True(Autograd.IsGradEnabled);
    }
}
