using Nabla.Engine;

namespace Nabla.Tests.Autodiff;

/// <summary>
/// Forward mode through in-place ops on views: the base's tangent gets the new tangent in the view's
/// region (as PyTorch's forward AD, where a view's tangent is a view of the base's), and views made
/// before the change read their region of the new tangent.
/// </summary>
public class ViewInPlaceForwardTests
{
    static Tensor M(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    static readonly double[] X6 = [0.5, -1.25, 2.0, 1.5, 0.75, -0.5];
    static readonly double[] TX6 = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];

    [Fact]
    public void BaseTangentGetsTheViewsNewTangentInItsRegion()
    {
        var x = M(X6, 2, 3);
        var w = M([2.0, -3.0, 0.5], 3);
        using var acc = new ForwardAccumulator([x, w], [M(TX6, 2, 3), M([0.5, 0.25, -1.0], 3)]);
        var a = x.Clone();
        var earlier = a.T;
        var v = a[0];
        v.MulInPlace(w);
        // row 0: d(x0*w) = tx0*w + x0*tw ; row 1 unchanged: tx1.
        double[] expected = [1 * 2.0 + 0.5 * 0.5, 2 * -3.0 + -1.25 * 0.25, 3 * 0.5 + 2.0 * -1.0, 4, 5, 6];
        Assert.Equal(expected, acc.Jvp(a)!.ToArray<double>());
        Assert.Equal(expected[..3], acc.Jvp(v)!.ToArray<double>());
        Assert.Equal(new[] { expected[0], expected[3], expected[1], expected[4], expected[2], expected[5] }, acc.Jvp(earlier)!.ToArray<double>());
    }

    [Fact]
    public void TangentFlowsIntoAViewOfABufferWithoutOne()
    {
        var w = M([1.0, 2.0, 3.0], 3);
        using var acc = new ForwardAccumulator(w, M([1.0, -1.0, 0.5], 3));
        var buffer = Tensor.Zeros([2, 3], DType.Float64);
        buffer[1].CopyFrom(w * w);
        Assert.Equal(new[] { 0.0, 0, 0, 2, -4, 3 }, acc.Jvp(buffer)!.ToArray<double>());   // 2w·tw in row 1
    }

    [Fact]
    public void FillOnAViewZeroesItsTangentRegion()
    {
        var x = M(X6, 2, 3);
        using var acc = new ForwardAccumulator(x, M(TX6, 2, 3));
        var a = x * 2.0;
        a.T[1].Fill(9);                          // column 1
        Assert.Equal(new[] { 2.0, 0, 6, 8, 0, 12 }, acc.Jvp(a)!.ToArray<double>());
    }

    [Fact]
    public void ForwardModeThroughViewsWorksWithGradModeOff()
    {
        var x = M(X6, 2, 3);
        using var acc = new ForwardAccumulator(x, M(TX6, 2, 3));
        using (Autograd.NoGrad())
        {
            var a = x.Clone();
            a.Reshape(6).Narrow(0, 2, 2).MulInPlace(3.0);   // elements 2 and 3 (across the row boundary)
            Assert.Equal(new[] { 1.0, 2, 9, 12, 5, 6 }, acc.Jvp(a)!.ToArray<double>());
        }
    }

    [Fact]
    public void JvpOfInPlaceOnViewsMatchesFiniteDifferences()
    {
        static Tensor F(Tensor[] t)
        {
            var a = t[0].Clone();
            var earlier = a.T;
            a[0].MulInPlace(t[1]);
            a.T[2].AddInPlace(t[1][..2].Exp());
            return earlier * a.T;
        }
        var x = M(X6, 2, 3);
        var w = M([2.0, -3.0, 0.5], 3);
        var dx = M([0.3, -0.1, 0.2, 0.7, -0.4, 0.9], 2, 3);
        var dw = M([-0.6, 0.5, 0.25], 3);
        var (_, jvp) = ForwardMode.Jvp(F, [x, w], [dx, dw]);
        const double eps = 1e-6;
        Tensor[] Shift(double s) => [x + dx * s, w + dw * s];
        var fd = (F(Shift(eps)) - F(Shift(-eps))) / (2 * eps);
        var got = jvp.ToArray<double>();
        var want = fd.ToArray<double>();
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(got[i] - want[i]) <= 1e-6 * (1 + Math.Abs(want[i])), $"element {i}: {got[i]} vs {want[i]}");
    }
}
