namespace Nabla.Tests.Custom;

/// <summary>
/// ctx.MarkDirty on a view (PyTorch allows it): the custom node becomes the view's new value and the
/// base's history is rewritten through the view, exactly as for a built-in in-place op on a view.
/// </summary>
public class CustomFunctionDirtyViewTests
{
    static readonly double[] X6 = [0.5, -1.25, 2.0, 1.5, 0.75, -0.5];

    // x ← exp(x) and x ← x·w in place, marked dirty (the same functions as the non-view tests).
    static CustomFunction ExpInPlace() => new CustomFunctionFidelityTests.ExpInPlace();
    static CustomFunction ScaleInPlace() => new CustomFunctionFidelityTests.ScaleInPlace();

    [Fact]
    public void DirtyRowViewRewritesTheBaseHistory()
    {
        var x = Tensor.FromArray(X6, [2, 3], requiresGrad: true);
        var a = x * 1.0;
        var row = a[0];
        var y = ExpInPlace().Apply(row);
        Assert.Same(row, y);
        Assert.Equal("CopySlices", a.GradFn!.Name);
        Assert.Equal("AsStridedBackward", row.GradFn!.Name);
        var values = a.ToArray<double>();
        for (int i = 0; i < 3; i++) Assert.Equal(Math.Exp(X6[i]), values[i], 15);
        (a * a).Sum().Backward();
        // Row 0: d/dx exp(x)² = 2 exp(2x); row 1: d/dx x² = 2x.
        var g = x.Grad!.ToArray<double>();
        for (int i = 0; i < 3; i++) Assert.Equal(2 * Math.Exp(2 * X6[i]), g[i], 12);
        for (int i = 3; i < 6; i++) Assert.Equal(2 * X6[i], g[i], 15);
    }

    [Fact]
    public void BackwardThroughTheDirtyViewItselfReachesTheFunctionsInputs()
    {
        var w = Tensor.FromArray([0.5, -1.0, 2.0], [3], requiresGrad: true);
        var buffer = Tensor.FromArray(X6, [2, 3]);        // untracked: only w's path is recorded
        var row = buffer[1];
        ScaleInPlace().ApplyAll(row, w);
        Assert.False(buffer.IsLeaf);
        (row * row).Sum().Backward();
        // row = x1 · w: d/dw Σ (x1 w)² = 2 x1² w
        var g = w.Grad!.ToArray<double>();
        for (int i = 0; i < 3; i++) Assert.Equal(2 * X6[3 + i] * X6[3 + i] * new[] { 0.5, -1.0, 2.0 }[i], g[i], 14);
    }

    [Fact]
    public void DirtyViewMatchesFiniteDifferences()
    {
        Func<Tensor[], Tensor> f = xs =>
        {
            var a = xs[0] * 1.0;
            ScaleInPlace().ApplyAll(a.T.Narrow(0, 1, 2), xs[1]);   // a strided view: a column pair
            return (a * a.Sin()).Sum();
        };
        var x = Tensor.FromArray(X6, [2, 3], requiresGrad: true);
        var w = Tensor.FromArray([0.75, -1.5, 1.25, 0.5], [2, 2], requiresGrad: true);
        Assert.True(GradCheck.Check(f, [x, w]));
    }

    [Fact]
    public void DirtyViewOfALeafThatRequiresGradThrows()
    {
        var a = Tensor.FromArray(X6, [2, 3], requiresGrad: true);
        var e = Assert.Throws<InvalidOperationException>(() => ExpInPlace().Apply(a[0]));
        Assert.Contains("ExpInPlace", e.Message);
        Assert.Contains("leaf", e.Message);
    }
}
