using Nabla.Optim;
using static Nabla.Tests.Optim.OptimTestUtil;

namespace Nabla.Tests.Optim;

/// <summary>ClipGradNorm / ClipGradValue against hand computations (torch.nn.utils.clip_grad_norm_ semantics).</summary>
public class GradClipTests
{
    static (Variable A, Variable B, Variable C) WithGrads()
    {
        var a = Param([1.0, 1.0], "a");
        var b = Param([1.0], "b");
        var c = Param([1.0], "c");   // no gradient: ignored
        a.Grad = T(3, 4);            // norm 5
        b.Grad = T(-12);             // norm 12 -> total sqrt(25 + 144) = 13
        return (a, b, c);
    }

    [Fact]
    public void ClipGradNormScalesByMaxOverTotal()
    {
        var (a, b, c) = WithGrads();
        double total = GradClip.ClipGradNorm([a, b, c], maxNorm: 6.5);
        Assert.Equal(13.0, total, 14);
        double coef = 6.5 / (13 + 1e-6);
        Assert.Equal(new[] { 3 * coef, 4 * coef }, Values(a.Grad!));
        Assert.Equal(new[] { -12 * coef }, Values(b.Grad!));
        Assert.Null(c.Grad);
    }

    [Fact]
    public void ClipGradNormLeavesSmallGradientsAlone()
    {
        var (a, b, _) = WithGrads();
        Assert.Equal(13.0, GradClip.ClipGradNorm([a, b], maxNorm: 100), 14);
        Assert.Equal(new[] { 3.0, 4.0 }, Values(a.Grad!));
        Assert.Equal(new[] { -12.0 }, Values(b.Grad!));
    }

    [Theory]
    [InlineData(double.PositiveInfinity, 12.0)]   // largest |g|
    [InlineData(1.0, 19.0)]                       // 3 + 4 + 12
    [InlineData(3.0, 12.207054953820636)]         // (27 + 64 + 1728)^(1/3) = 1819^(1/3)
    public void OtherNorms(double normType, double expected)
    {
        var (a, b, _) = WithGrads();
        double total = GradClip.ClipGradNorm([a, b], maxNorm: 1.0, normType: normType);
        Assert.Equal(expected, total, 12);
        double coef = 1.0 / (expected + 1e-6);
        TestUtil.Approx.Equal([-12 * coef], Values(b.Grad!), 1e-14, "clipped b");
    }

    [Fact]
    public void NonFiniteNormScalesToNaNOrThrowsOnRequest()
    {
        var a = Param([1.0, 1.0], "a");
        a.Grad = T(double.NaN, 1);
        Assert.True(double.IsNaN(GradClip.ClipGradNorm([a], 1.0)));
        Assert.True(double.IsNaN(Values(a.Grad!)[1]));
        a.Grad = T(double.PositiveInfinity, 1);
        var e = Assert.Throws<InvalidOperationException>(() => GradClip.ClipGradNorm([a], 1.0, errorIfNonfinite: true));
        Assert.Contains("Infinity", e.Message);
        Assert.Equal(0.0, GradClip.ClipGradNorm([Param()], 1.0));
    }

    [Fact]
    public void ClipGradientsByNormMatchesTheInPlaceVersion()
    {
        var (a, b, _) = WithGrads();
        var (clipped, total) = GradClip.ClipGradientsByNorm([T(3, 4), null, T(-12)], maxNorm: 6.5);
        GradClip.ClipGradNorm([a, b], maxNorm: 6.5);
        Assert.Equal(13.0, total, 14);
        Assert.Null(clipped[1]);
        Assert.Equal(Values(a.Grad!), Values(clipped[0]!));
        Assert.Equal(Values(b.Grad!), Values(clipped[2]!));
    }

    [Fact]
    public void ClipGradValueClampsInPlace()
    {
        var a = Param([0.0, 0.0, 0.0, 0.0], "a");
        a.Grad = T(-3, 0.5, 2, double.NaN);
        var before = a.Grad;
        GradClip.ClipGradValue([a, Param()], clipValue: 1.0);
        Assert.Same(before, a.Grad);
        var got = Values(a.Grad!);
        Assert.Equal(new[] { -1.0, 0.5, 1.0 }, got[..3]);
        Assert.True(double.IsNaN(got[3]));
        Assert.Throws<ArgumentException>(() => GradClip.ClipGradValue([a], -1));
    }
}
