namespace Nabla.Tests.Autodiff;

/// <summary>In-place ops through views together with the other front ends: tapes, RetainGrad, several roots, forward mode.</summary>
public class ViewInPlaceInteropTests
{
    static readonly double[] X6 = [0.5, -1.25, 2.0, 1.5, 0.75, -0.5];

    [Fact]
    public void TapeSeesAnInPlaceChangeThroughAView()
    {
        var x = Tensor.FromArray(X6, [2, 3]);
        using var tape = new GradientTape();
        tape.Watch(x);
        var a = x * 1.0;
        // (a[0].MulInPlace(a[1]) would fail in backward, as in PyTorch: mul saved a[1], whose storage the
        // write then changed.)
        a[0].MulInPlace(x[1] * 1.0);                 // row 0 ← x0 · x1
        var g = tape.Gradient((a * a).Sum(), x)!.ToArray<double>();
        // Σ (x0 x1)² + Σ x1²: d/dx0 = 2 x0 x1², d/dx1 = 2 x0² x1 + 2 x1.
        for (int i = 0; i < 3; i++)
        {
            double x0 = X6[i], x1 = X6[3 + i];
            Assert.Equal(2 * x0 * x1 * x1, g[i], 13);
            Assert.Equal(2 * x0 * x0 * x1 + 2 * x1, g[3 + i], 13);
        }
    }

    [Fact]
    public void RetainedViewFollowsItsRebuiltHistory()
    {
        var x = Tensor.FromArray(X6, [2, 3], requiresGrad: true);
        var a = x * 1.0;
        var row = a[1];
        row.RetainGrad();
        a.MulInPlace(3.0);                           // through the base: row is rebuilt from the new history
        (row * row).Sum().Backward();
        // row = 3 x1: d/drow = 2 row = 6 x1; d/dx1 = 18 x1, row 0 gets nothing.
        var rowGrad = row.Grad!.ToArray<double>();
        var g = x.Grad!.ToArray<double>();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(6 * X6[3 + i], rowGrad[i], 13);
            Assert.Equal(0.0, g[i]);
            Assert.Equal(18 * X6[3 + i], g[3 + i], 13);
        }
    }

    [Fact]
    public void SeveralRootsThroughTwoChangedViewsOfOneBase()
    {
        var x = Tensor.FromArray(X6, [2, 3], requiresGrad: true);
        var a = x.Clone();
        var top = a[0];
        var bottom = a[1];
        top.AddInPlace(bottom);                      // top ← x0 + x1
        bottom.MulInPlace(2.0);                      // bottom ← 2 x1
        Autograd.Backward([top.Sum(), (bottom * bottom).Sum()]);
        // d/dx0 = 1; d/dx1 = 1 + 8 x1.
        var g = x.Grad!.ToArray<double>();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(1.0, g[i]);
            Assert.Equal(1 + 8 * X6[3 + i], g[3 + i], 13);
        }
    }

    [Fact]
    public void AccumulatorOutsideSeesAnInPlaceChangeThroughAView()
    {
        var x = Tensor.FromArray(X6, [2, 3]);
        var t = Tensor.FromArray([1.0, 0, 0, 0, 1, 0], [2, 3]);
        using var acc = new ForwardAccumulator(x, t);
        var a = x * 1.0;
        a.T[1].MulInPlace(a.T[2]);                   // column 1 ← x[:,1] · x[:,2]
        var j = acc.Jvp(a.Sum())!.Item<double>();
        // d/dε Σ a along t: t00·1 + t11·x12 (t11 = 1, at row 1 col 1) = 1 + x[1,2].
        Assert.Equal(1 + X6[5], j, 13);
    }

    [Fact]
    public void MultiplyingARowByAnotherRowOfTheSameBaseFailsInBackwardAsInPyTorch()
    {
        // mul saves its other operand a[1]; the write into a[0] bumps the version a[1] shares with a.
        var x = Tensor.FromArray(X6, [2, 3], requiresGrad: true);
        var a = x * 1.0;
        a[0].MulInPlace(a[1]);
        var e = Assert.Throws<InvalidOperationException>(() => (a * a).Sum().Backward());
        Assert.Contains("modified by an in-place operation (MulInPlace)", e.Message);
    }
}
