namespace Nabla.Tests.Ops;

/// <summary>
/// Norm as torch.linalg.vector_norm, with PyTorch's gradients at the points where the formula is singular:
/// 0 at the zero vector for p = 2, sign(x) (0 at 0) for p = 1, the extremes sharing the gradient for p = ±∞,
/// zero everywhere for p = 0, and zero at zero elements for p &lt; 1.
/// </summary>
public class NormTests
{
    static Tensor Leaf(params double[] v) => Tensor.FromArray(v, [v.Length], requiresGrad: true);

    static double[] GradOf(Tensor x, Func<Tensor, Tensor> f)
    {
        f(x).Backward();
        return x.Grad!.ToDoubleArray();
    }

    [Fact]
    public void TwoNormAndItsGradient()
    {
        var x = Leaf(3, -4);
        Assert.Equal(5.0, x.Norm().Item<double>());
        var g = GradOf(x, t => t.Norm());
        Assert.Equal(0.6, g[0], 15);
        Assert.Equal(-0.8, g[1], 15);
    }

    [Fact]
    public void TwoNormAtZeroVectorHasZeroSubgradient()
    {
        var x = Leaf(0, 0, 0);
        Assert.Equal(0.0, x.Norm().Item<double>());
        Assert.Equal([0.0, 0.0, 0.0], GradOf(x, t => t.Norm()));
        // Second order at the zero vector is finite too (0), not NaN.
        var y = Leaf(0, 0);
        var g = Autograd.Grad([y.Norm()], [y], createGraph: true)[0]!;
        Assert.Equal([0.0, 0.0], Autograd.Grad([g.Sum()], [y])[0]!.ToDoubleArray());
    }

    [Fact]
    public void OneNormGradientIsSignWithZeroAtZero()
    {
        var x = Leaf(-2, 0, 3);
        Assert.Equal(5.0, x.Norm(1).Item<double>());
        Assert.Equal([-1.0, 0.0, 1.0], GradOf(x, t => t.Norm(1)));
    }

    [Fact]
    public void InfinityNormsShareTheGradientAmongTies()
    {
        var x = Leaf(1, -3, 3);
        Assert.Equal(3.0, x.Norm(double.PositiveInfinity).Item<double>());
        Assert.Equal([0.0, -0.5, 0.5], GradOf(x, t => t.Norm(double.PositiveInfinity)));
        var z = Leaf(-1, 2, 1);
        Assert.Equal(1.0, z.Norm(double.NegativeInfinity).Item<double>());
        Assert.Equal([-0.5, 0.0, 0.5], GradOf(z, t => t.Norm(double.NegativeInfinity)));
    }

    [Fact]
    public void InfinityNormOfNaNSendsTheGradientToTheNaN()
    {
        // PyTorch's norm_backward picks |x| == norm or NaN: the NaN element gets sgn(NaN)·g = NaN, the others 0.
        var x = Leaf(1, double.NaN, -3);
        Assert.True(double.IsNaN(x.Norm(double.PositiveInfinity).Item<double>()));
        var g = GradOf(x, t => t.Norm(double.PositiveInfinity));
        Assert.Equal(0.0, g[0]);
        Assert.True(double.IsNaN(g[1]));
        Assert.Equal(0.0, g[2]);
        // An infinite element that is not the minimum takes no part in the -inf norm (no inf · 0).
        var z = Leaf(2, double.PositiveInfinity, -0.5);
        Assert.Equal(0.5, z.Norm(double.NegativeInfinity).Item<double>());
        Assert.Equal([0.0, 0.0, -1.0], GradOf(z, t => t.Norm(double.NegativeInfinity)));
    }

    [Fact]
    public void ZeroNormCountsNonZerosWithZeroGradient()
    {
        var x = Leaf(0, 2, -1, 0);
        Assert.Equal(2.0, x.Norm(0).Item<double>());
        Assert.Equal([0.0, 0.0, 0.0, 0.0], GradOf(x, t => t.Norm(0)));
    }

    [Fact]
    public void FractionalNormHasZeroGradientAtZeroElements()
    {
        // (√1 + √0 + √4)² = 9; ∂/∂x_i = sign(x_i)·|x_i|^(-1/2)·‖x‖^(1/2) = [3, 0, 1.5].
        var x = Leaf(1, 0, -4);
        Assert.Equal(9.0, x.Norm(0.5).Item<double>(), 12);
        var g = GradOf(x, t => t.Norm(0.5));
        Assert.Equal(3.0, g[0], 12);
        Assert.Equal(0.0, g[1]);
        Assert.Equal(-1.5, g[2], 12);
    }

    [Fact]
    public void NegativeOrderWithAZeroElementIsZero()
    {
        var x = Leaf(0, 2);
        Assert.Equal(0.0, x.Norm(-1).Item<double>());
        Assert.Equal([0.0, 0.0], GradOf(x, t => t.Norm(-1)));
    }

    [Fact]
    public void NormAlongDimsKeepsOrDropsThem()
    {
        var x = Tensor.FromArray(new[] { 3.0, 0, 4, 0, 0, 0 }, [2, 3]);
        Assert.Equal([3.0, 0, 4], x.Norm(2, 0).ToDoubleArray());
        Assert.Equal([2, 1], x.Norm(2, 1, keepDim: true).Shape.ToArray());
        Assert.Equal([5.0, 0], x.Norm(2, 1).ToDoubleArray());
        Assert.Equal(5.0, x.Norm(2, [0, 1]).Item<double>());
        Assert.Equal([1, 1], x.Norm(2, [1, 0], keepDim: true).Shape.ToArray());
    }

    [Fact]
    public void BadArgumentsAreClearErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1, 2 }, [2]).Norm());
        Assert.Contains("Norm", e.Message);
        Assert.Contains("floating", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 2], DType.Float64).Norm(2, [0, -2]));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 2], DType.Float64).Norm(2, 2));
    }
}
