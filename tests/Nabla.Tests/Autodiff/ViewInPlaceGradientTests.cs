namespace Nabla.Tests.Autodiff;

/// <summary>
/// In-place ops on views while recording (PyTorch's view + base tracking): the base's history becomes
/// CopySlices, every view of it is rebuilt from the new history when used, and gradients match hand-derived
/// values and float64 central finite differences of the same function (GradCheck).
/// </summary>
public class ViewInPlaceGradientTests
{
    static Tensor M(double[] v, params int[] shape) => Tensor.FromArray(v, shape, requiresGrad: true);

    static readonly double[] X6 = [0.5, -1.25, 2.0, 1.5, 0.75, -0.5];

    [Fact]
    public void MulInPlaceOnNarrowedCloneSendsGradientsToBothOperands()
    {
        var x = M(X6, 2, 3);
        var w = M([2.0, -3.0, 0.5], 3);
        var a = x.Clone();
        var v = a.Narrow(0, 0, 1);
        v.MulInPlace(w);
        Assert.Equal(new[] { 1.0, 3.75, 1.0, 1.5, 0.75, -0.5 }, a.ToArray<double>());
        Assert.Equal("CopySlices", a.GradFn!.Name);
        Assert.Equal("AsStridedBackward", v.GradFn!.Name);     // the view is now its region of the new base
        a.Sum().Backward();
        // d/dx of sum([x0*w, x1]) = [w, 1]; d/dw = x0.
        Assert.Equal(new[] { 2.0, -3.0, 0.5, 1, 1, 1 }, x.Grad!.ToArray<double>());
        Assert.Equal(new[] { 0.5, -1.25, 2.0 }, w.Grad!.ToArray<double>());
    }

    [Fact]
    public void BackwardThroughTheChangedViewReachesTheBaseInputs()
    {
        var x = M(X6, 2, 3);
        var w = M([2.0, -3.0, 0.5], 3);
        var a = x.Clone();
        var v = a[0];
        v.MulInPlace(w);
        var g = Autograd.Grad([(v * v).Sum()], [x, w]);
        // v = x0*w: d(sum v²)/dx0 = 2 x0 w², d/dw = 2 x0² w; x1 gets zeros.
        Assert.Equal(new[] { 4.0, -22.5, 1.0, 0, 0, 0 }, g[0]!.ToArray<double>());
        Assert.Equal(new[] { 1.0, -9.375, 4.0 }, g[1]!.ToArray<double>());
    }

    [Fact]
    public void FillOnAViewCutsOnlyItsRegion()
    {
        var x = M(X6, 2, 3);
        var a = x * 2;
        a[0].Fill(7);
        Assert.Equal(new[] { 7.0, 7, 7, 3, 1.5, -1 }, a.ToArray<double>());
        a.Sum().Backward();
        Assert.Equal(new[] { 0.0, 0, 0, 2, 2, 2 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void CopyIntoViewOfUntrackedBufferMakesTheBufferDifferentiable()
    {
        var w = M([1.0, 2.0, 3.0], 3);
        var buffer = Tensor.Zeros([2, 3], DType.Float64);
        Assert.True(buffer.IsLeaf);
        buffer[1].CopyFrom(w * w);
        Assert.False(buffer.IsLeaf);
        Assert.True(buffer.RequiresGrad);
        var c = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, [2, 3]);
        (buffer * c).Sum().Backward();
        Assert.Equal(new[] { 8.0, 20, 36 }, w.Grad!.ToArray<double>());   // 2w * c[1]
    }

    [Fact]
    public void CopyOfALeafIntoAViewReachesTheLeaf()
    {
        var w = M([1.0, 2.0], 2);
        var x = M([5.0, 6.0, 7.0], 3);
        var a = x * 1.0;
        a[1..].CopyFrom(w);
        (a * a).Sum().Backward();
        Assert.Equal(new[] { 2.0, 4.0 }, w.Grad!.ToArray<double>());
        Assert.Equal(new[] { 10.0, 0, 0 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void OtherOperandMayBeTheBaseItself()
    {
        // a = [x0, x1] (rows), S = sum(x); a[0] *= S  ->  sum(a) = S·sum(x0) + sum(x1).
        var x = M(X6, 2, 3);
        var a = x.Clone();
        a[0].MulInPlace(a.Sum());
        a.Sum().Backward();
        double s = X6.Sum(), s0 = X6[0] + X6[1] + X6[2];
        Assert.Equal(new[] { s + s0, s + s0, s + s0, s0 + 1, s0 + 1, s0 + 1 }, x.Grad!.ToArray<double>());
        Assert.True(GradCheck.Check(t => { var b = t[0].Clone(); b[0].MulInPlace(b.Sum()); return b; }, [x.Detach()]));
    }

    [Fact]
    public void ViewMadeBeforeTheChangeSeesTheNewHistory()
    {
        var x = M(X6, 2, 3);
        var w = M([2.0, -3.0, 0.5], 3);
        var a = x.Clone();
        var earlier = a.T;                       // made before the change; covers the changed row too
        a[0].MulInPlace(w);
        Assert.Equal("AsStridedBackward", earlier.GradFn!.Name);
        var c = Tensor.FromArray(new[] { 1.0, 10, 100, 1000, 10000, 100000 }, [3, 2]);
        (earlier * c).Sum().Backward();
        // earlier[j, i] = a[i, j]; weights c[j, i]: row 0 of a gets w·c[:,0], row 1 gets c[:,1].
        Assert.Equal(new[] { 2.0, -300, 5000, 10, 1000, 100000 }, x.Grad!.ToArray<double>());
        Assert.Equal(new[] { 0.5, -125, 20000 }, w.Grad!.ToArray<double>());
    }

    [Fact]
    public void ViewSeesAnInPlaceChangeOfTheBaseItself()
    {
        var x = M(X6, 2, 3);
        var a = x.Clone();
        var row = a[0];
        a.MulInPlace(x);                         // a = x² (recorded on the base, not through a view)
        Assert.Equal(new[] { 0.25, 1.5625, 4.0 }, row.ToArray<double>());
        row.Sum().Backward();
        Assert.Equal(new[] { 1.0, -2.5, 4.0, 0, 0, 0 }, x.Grad!.ToArray<double>());   // 2·x0
    }

    [Fact]
    public void ViewThatRequiresGradItselfIsALeafAndRefusesInPlace()
    {
        // PyTorch: a view of an untracked tensor, marked requires_grad, is a leaf like any other.
        var v = Tensor.Zeros([2, 3], DType.Float64)[0];
        v.RequiresGrad = true;
        var e = Assert.Throws<InvalidOperationException>(() => v.AddInPlace(1));
        Assert.Contains("a leaf Variable that requires grad is being used in an in-place operation", e.Message);
    }

    [Fact]
    public void ExpandedViewMadeBeforeTheChangeSeesTheNewHistory()
    {
        Assert.True(GradCheck.Check(t =>
        {
            var a = t[0].Clone();
            var repeated = a[0].Unsqueeze(0).Expand(3, 3);   // reads row 0 three times
            a[0].MulInPlace(t[1]);
            return repeated * repeated;
        }, [Tensor.FromArray(X6, [2, 3]), Tensor.FromArray(new[] { 2.0, -3.0, 0.5 }, [3])]));
    }

    [Fact]
    public void TwoInPlaceOpsOnTwoOverlappingViewsOfOneBase()
    {
        Assert.True(GradCheck.Check(t =>
        {
            var a = t[0] * 1.0;
            a[0].MulInPlace(t[1]);                    // row 0
            a.T[2].AddInPlace(t[1][..2] * t[1][1..]); // column 2 (shares a[0, 2] with row 0)
            return a * a;
        }, [Tensor.FromArray(X6, [2, 3]), Tensor.FromArray(new[] { 2.0, -3.0, 0.5 }, [3])]));
    }

    [Fact]
    public void ViewOfAViewRewritesTheRootBase()
    {
        var x = M(X6, 2, 3);
        var w = M([4.0, -1.0], 2);
        var a = x.Clone();
        var inner = a[1].Narrow(0, 1, 2);         // a[1, 1:3]
        Assert.Same(a, inner.Base);
        inner.MulInPlace(w);
        Assert.Equal(new[] { 0.5, -1.25, 2.0, 1.5, 3.0, 0.5 }, a.ToArray<double>());
        a.Sum().Backward();
        Assert.Equal(new[] { 1.0, 1, 1, 1, 4, -1 }, x.Grad!.ToArray<double>());
        Assert.Equal(new[] { 0.75, -0.5 }, w.Grad!.ToArray<double>());
    }

    [Theory]
    [InlineData("transpose")]
    [InlineData("permute")]
    [InlineData("reshape")]
    [InlineData("step")]
    [InlineData("unsqueeze")]
    [InlineData("alias")]
    public void EveryViewKindMatchesFiniteDifferences(string kind)
    {
        Func<Tensor, Tensor> view = kind switch
        {
            "transpose" => a => a.T[1],                                         // column 1 (strided)
            "permute" => a => a.Reshape(2, 3, 1).Permute(2, 1, 0)[0, 1..],       // [2, 2] window of a.T
            "reshape" => a => a.Reshape(6).Narrow(0, 2, 3),                      // crosses the row boundary
            "step" => a => a[.., TensorIndex.Slice(0..3, 2)],                   // columns 0 and 2
            "unsqueeze" => a => a[1].Unsqueeze(0),
            _ => a => a.Reshape(2, 3),                                           // same shape: an alias of all of a
        };
        Assert.True(GradCheck.Check(t =>
        {
            var a = t[0].Clone();
            var v = view(a);
            v.AddInPlace(v.Exp() * t[1].Sum());     // (v itself is not saved: changing it next is fine)
            v.MulInPlace(t[1][0]);                   // a second op on the same view
            return a.Exp();
        }, [Tensor.FromArray(X6, [2, 3]), Tensor.FromArray(new[] { 0.25, -0.5 }, [2])]));
    }

    [Fact]
    public void BaseWithPermutedStridesAndAnOffset()
    {
        // The base is not contiguous (a detached transpose inside a larger buffer): the rewrite addresses
        // the base's own layout, through the kernels' scratch buffer.
        Assert.True(GradCheck.Check(t =>
        {
            var storage = Tensor.Zeros([5, 2], DType.Float64);
            var baseTensor = storage[1..4].T.Detach();          // [2, 3], strides [1, 2], offset 2
            Assert.False(baseTensor.IsView);
            baseTensor[1].CopyFrom(t[0] * t[0]);
            baseTensor[.., 1].MulInPlace(t[0][..2]);
            return baseTensor * Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, [2, 3]);
        }, [Tensor.FromArray(new[] { 0.5, -2.0, 1.5 }, [3])]));
    }

    [Fact]
    public void SecondOrderThroughCopySlicesMatchesFiniteDifferences()
    {
        Assert.True(GradCheck.CheckSecondOrder(t =>
        {
            var a = t[0].Clone();
            a.T[0].MulInPlace(t[1]);
            return (a * a * a).Sum();
        }, [Tensor.FromArray(X6, [3, 2]), Tensor.FromArray(new[] { 2.0, -0.5, 0.75 }, [3])]));
    }

    [Fact]
    public void GradientsMatchTheSameFunctionWrittenOutOfPlace()
    {
        var x = M(X6, 2, 3);
        var w = M([2.0, -3.0], 2);
        var a = x.Clone();
        a.T[1..].MulInPlace(w.Reshape(1, 2));    // columns 1, 2 of row r scaled by w[r]
        var inPlace = Autograd.Grad([(a * a).Sum()], [x, w]);

        var x2 = M(X6, 2, 3);
        var w2 = M([2.0, -3.0], 2);
        var b = Tensor.Concat([x2[.., ..1], x2[.., 1..] * w2.Reshape(2, 1)], 1);
        var outOfPlace = Autograd.Grad([(b * b).Sum()], [x2, w2]);
        Assert.Equal(b.ToArray<double>(), a.ToArray<double>());
        Assert.Equal(outOfPlace[0]!.ToArray<double>(), inPlace[0]!.ToArray<double>());
        Assert.Equal(outOfPlace[1]!.ToArray<double>(), inPlace[1]!.ToArray<double>());
    }

    [Fact]
    public void SavedViewChangedThroughAnotherViewIsStillCaught()
    {
        // The version counter is shared by all views, as in PyTorch: a value saved for backward through
        // one view and changed through another is an error, not a silently wrong gradient.
        var x = M(X6, 2, 3);
        var a = x.Clone();
        var r = a[1];
        var z = r * r;
        a[1].AddInPlace(1);
        var e = Assert.Throws<InvalidOperationException>(() => z.Sum().Backward());
        Assert.Contains("modified by an in-place operation", e.Message);
        Assert.Contains("AddInPlace", e.Message);
    }

    [Fact]
    public void AddInPlaceOnADiagonalViewShiftsOnlyTheDiagonalAndItsGradient()
    {
        // PyTorch's common idiom a.diagonal().add_(lam): the base's history is rewritten through the view.
        var x = M([1.0, 2.0, 3.0, 4.0], 2, 2);
        var lam = Tensor.Scalar(0.5, requiresGrad: true);
        var a = x * 2;
        a.Diagonal().AddInPlace(lam);
        Assert.Equal(new[] { 2.5, 4.0, 6.0, 8.5 }, a.ToArray<double>());
        (a * a).Sum().Backward();
        // d/dx of sum(a²) = 2a * 2; d/dlam = 2(a00 + a11) = 22.
        Assert.Equal(new[] { 10.0, 16.0, 24.0, 34.0 }, x.Grad!.ToArray<double>());
        Assert.Equal(22.0, lam.Grad!.Item<double>());
    }
}
