namespace Nabla.Tests.Autodiff;

/// <summary>
/// Views know their base (PyTorch's <c>_base</c>/<c>_is_view()</c>), share the public version counter
/// (<c>_version</c>), and in-place ops through them obey the same refusals as on the base
/// (a leaf that requires grad, a view made under no-grad, <c>detach_</c> on a view).
/// </summary>
public class ViewInPlaceBaseTests
{
    [Fact]
    public void ViewsPointToTheirRootBase()
    {
        var a = Tensor.Zeros(2, 3);
        Assert.Null(a.Base);
        Assert.False(a.IsView);
        var row = a[1];
        var part = row.Narrow(0, 1, 2);          // a view of a view
        var t = a.T.Reshape(6);                  // a copy: the transpose is not contiguous
        var u = a.T.Unsqueeze(0);                // a view of a view, through a reshape view
        Assert.Same(a, row.Base);
        Assert.Same(a, part.Base);
        Assert.Same(a, u.Base);
        Assert.True(part.IsView);
        Assert.False(t.IsView);
        Assert.Same(a, a[..].Base);              // the whole-tensor index is a view too, as a[:] in PyTorch
        Assert.Same(a, a.Reshape(2, 3).Base);
        Assert.Same(a, a.Expand(2, 3).Base);
    }

    [Fact]
    public void DetachCloneAndOpsAreNotViews()
    {
        var a = Tensor.Zeros(2, 3);
        Assert.False(a.Detach().IsView);         // shares storage, but is cut from autograd (PyTorch: _is_view() is False)
        Assert.False(a.Clone().IsView);
        Assert.False((a + 1).IsView);
        Assert.False(a.Flip(0).IsView);
        Assert.Null(a[0].Detach().Base);
    }

    [Fact]
    public void VersionIsSharedByViewsAndCountsEveryInPlaceChange()
    {
        var a = Tensor.Zeros([2, 3], DType.Float64);
        var row = a[0];
        Assert.Equal(0, a.Version);
        row.AddInPlace(1);
        Assert.Equal(1, a.Version);
        Assert.Equal(1, row.Version);
        a.MulInPlace(2);
        a[1].Fill(3);
        Assert.Equal(3, row.Version);
        Assert.Equal(3, a.T.Version);
        Assert.Equal(0, a.Clone().Version);
        Assert.Equal(new double[] { 2, 2, 2, 3, 3, 3 }, a.ToArray<double>());
    }

    [Fact]
    public void InPlaceThroughViewOfLeafRequiringGradThrowsLikeOnTheLeaf()
    {
        // The repro: the view is made before the base requires grad.
        var a = Tensor.Zeros(2, 3);
        var b = a[..];
        a.RequiresGrad = true;
        Assert.True(b.RequiresGrad);             // a view requires grad when its base does
        var e = Assert.Throws<InvalidOperationException>(() => b.AddInPlace(5));
        Assert.Contains("a view of a leaf Variable that requires grad is being used in an in-place operation", e.Message);
        Assert.Contains(nameof(ViewInPlaceBaseTests), e.Message);
        // Views made after, and views of views, are refused too; nothing was written.
        Assert.Throws<InvalidOperationException>(() => a[1].Narrow(0, 0, 2).MulInPlace(2));
        Assert.Throws<InvalidOperationException>(() => a.T.Fill(1));
        Assert.Equal(new float[6], a.ToArray<float>());
        Assert.Equal(0, a.Version);
        // Under NoGrad (how optimizers change parameters) it is allowed and not recorded.
        using (Autograd.NoGrad()) b.AddInPlace(5);
        Assert.Equal(new float[] { 5, 5, 5, 5, 5, 5 }, a.ToArray<float>());
        Assert.True(a.IsLeaf);
    }

    [Fact]
    public void InPlaceWithGradOnViewMadeUnderNoGradThrows()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, [2], requiresGrad: true);
        var a = x * 2;
        Tensor v;
        using (Autograd.NoGrad()) v = a[..1];
        var e = Assert.Throws<InvalidOperationException>(() => v.MulInPlace(3));
        Assert.Contains("made inside NoGrad()", e.Message);
        // Both inside NoGrad is fine (not recorded): a's history still says 2x.
        using (Autograd.NoGrad())
        {
            var w = a[..1];
            w.MulInPlace(3);
        }
        Assert.Equal(new[] { 6.0, 4.0 }, a.ToArray<double>());
    }

    [Fact]
    public void DetachInPlaceMakesALeafThatDoesNotRequireGrad()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, [2], requiresGrad: true);
        var y = x * 3;
        int version = y.Version;
        Assert.Same(y, y.DetachInPlace());
        Assert.True(y.IsLeaf);
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
        Assert.Equal(version, y.Version);        // detach_ changes no data
        Assert.Equal(new[] { 3.0, 6.0 }, y.ToArray<double>());
        var z = (y * x).Sum();
        z.Backward();
        Assert.Equal(new[] { 3.0, 6.0 }, x.Grad!.ToArray<double>());   // y is a constant now
        x.DetachInPlace();                       // a leaf that required grad
        Assert.False(x.RequiresGrad);
    }

    [Fact]
    public void DetachInPlaceOnAViewThrows()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, [2], requiresGrad: true);
        var v = (x * 2)[..1];
        var e = Assert.Throws<InvalidOperationException>(() => v.DetachInPlace());
        Assert.Contains("can't detach views in-place", e.Message);
        Assert.Contains("Detach()", e.Message);
        Assert.NotNull(v.GradFn);
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2, 2).T.DetachInPlace());
    }

    [Fact]
    public void WritingAnExpandedViewIsStillRefused()
    {
        // PyTorch refuses too: several elements of the written-to tensor share one memory location.
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, [1, 2], requiresGrad: true);
        var e = (x * 1.0).Expand(3, 2);
        var ex = Assert.Throws<InvalidOperationException>(() => e.AddInPlace(1));
        Assert.Contains("single memory location", ex.Message);
    }

    [Fact]
    public void RecordedInPlaceThroughViewOfOverlappingBaseIsNotSupported()
    {
        // The base itself repeats memory (a detached expand): its history can't say which alias changed.
        var w = Tensor.FromArray(new[] { 1.0, 2.0 }, [2], requiresGrad: true);
        var baseTensor = Tensor.FromArray(new[] { 0.0, 0.0 }, [1, 2]).Expand(3, 2).Detach();
        var ex = Assert.Throws<NotSupportedException>(() => baseTensor[0].CopyFrom(w));
        Assert.Contains("Clone() the base", ex.Message);
    }

    [Fact]
    public void ViewMadeBeforeItsBaseRequiredGradGetsNoGradOfItsOwn()
    {
        // PyTorch: the view requires grad through its base, but it has no grad_fn and no accumulator of its
        // own, so gradients through it go nowhere (neither into view.grad nor into the base).
        var a = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }, [3]);
        var b = a[..];
        a.RequiresGrad = true;
        Assert.True(b.RequiresGrad);
        Assert.Null(b.GradFn);
        ((b * 2).Sum() + (a * 3).Sum()).Backward();
        Assert.Null(b.Grad);
        Assert.Equal(new[] { 3.0, 3.0, 3.0 }, a.Grad!.ToArray<double>());
    }
}
