using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.Ops;

/// <summary>Tan, ELU (tensor method, functional and layer) and Diagonal (a view) against hand-derived values.</summary>
public class EluTanDiagonalTests
{
    [Fact]
    public void TanAndItsGradient()
    {
        var x = Tensor.FromArray(new[] { Math.PI / 4, 0.0, -Math.PI / 3 }, [3], requiresGrad: true);
        var y = x.Tan();
        var v = y.ToDoubleArray();
        Assert.Equal(1.0, v[0], 14);
        Assert.Equal(0.0, v[1]);
        Assert.Equal(-Math.Sqrt(3), v[2], 14);
        y.Sum().Backward();
        var g = x.Grad!.ToDoubleArray();
        Assert.Equal(2.0, g[0], 14);   // sec²(π/4)
        Assert.Equal(1.0, g[1]);
        Assert.Equal(4.0, g[2], 13);   // sec²(π/3)
    }

    [Fact]
    public void EluValuesAndGradientAtZeroIsAlpha()
    {
        var x = Tensor.FromArray(new[] { -1.0, 0.0, 2.0, double.NegativeInfinity }, [4], requiresGrad: true);
        var y = x.Elu(0.5);
        Assert.Equal([0.5 * (Math.Exp(-1) - 1), 0.0, 2.0, -0.5], y.ToDoubleArray());
        y.Backward(Tensor.FromArray(new[] { 1.0, 1, 1, 1 }, [4]));
        Assert.Equal([0.5 * Math.Exp(-1), 0.5, 1.0, 0.0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void EluIsAccurateNearZero()
    {
        // eˣ - 1 computed naively loses about half the digits at x = -1e-9; expm1 keeps them.
        var y = Tensor.FromArray(new[] { -1e-9, -1e-3 }, [2]).Elu().ToDoubleArray();
        AssertRelative(-9.999999995e-10, y[0], 1e-14);
        AssertRelative(-9.9950016662500838e-4, y[1], 1e-14);
        var f = Tensor.FromArray(new[] { -1e-6f }, [1]).Elu().ToArray<float>();
        AssertRelative(-9.999995e-7, f[0], 1e-6);
    }

    static void AssertRelative(double expected, double actual, double tol) =>
        Assert.True(Math.Abs(actual - expected) <= tol * Math.Abs(expected), $"{actual:R} vs {expected:R} (relative tolerance {tol})");

    [Fact]
    public void EluSecondDerivativeOnTheNegativeSide()
    {
        // d²/dx² α(eˣ - 1) = α·eˣ.
        var x = Tensor.FromArray(new[] { -0.7 }, [1], requiresGrad: true);
        var g = Autograd.Grad([x.Elu(2.0).Sum()], [x], createGraph: true)[0]!;
        Assert.Equal(2 * Math.Exp(-0.7), Autograd.Grad([g.Sum()], [x])[0]!.Item<double>(), 14);
    }

    [Fact]
    public void EluFunctionalAndLayerAgreeWithTheMethod()
    {
        var x = Tensor.FromArray(new[] { -2.0, -0.5, 0.5 }, [3]);
        Assert.Equal(x.Elu(1.5).ToDoubleArray(), F.Elu(x, 1.5).ToDoubleArray());
        var layer = new ELU(1.5);
        Assert.Equal(x.Elu(1.5).ToDoubleArray(), layer.Forward(x).ToDoubleArray());
        Assert.Equal("ELU(alpha=1.5)", layer.ToString());
        Assert.Equal("ELU(alpha=1.0)", new ELU().ToString());
    }

    [Fact]
    public void DiagonalOffsetsAndDims()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, [2, 3]);
        Assert.Equal([1.0, 5], x.Diagonal().ToDoubleArray());
        Assert.Equal([2.0, 6], x.Diagonal(1).ToDoubleArray());
        Assert.Equal([4.0], x.Diagonal(-1).ToDoubleArray());
        Assert.Equal([0], x.Diagonal(3).Shape.ToArray());
        Assert.Equal([0], x.Diagonal(-2).Shape.ToArray());
        Assert.Equal([1.0, 5], x.Diagonal(0, 1, 0).ToDoubleArray());
        var cube = Tensor.Arange(0, 24, dtype: DType.Float64).Reshape(2, 3, 4);
        // dims (1, 2) of [2, 3, 4]: rest dim 0 first, then the diagonal: y[b, i] = x[b, i, i].
        Assert.Equal([0.0, 5, 10, 12, 17, 22], cube.Diagonal(0, 1, 2).ToDoubleArray());
        Assert.Equal([2, 3], cube.Diagonal(0, 1, 2).Shape.ToArray());
    }

    [Fact]
    public void DiagonalIsAViewOfTheSameMemory()
    {
        var x = Tensor.Zeros([3, 3], DType.Float64);
        var d = x.Diagonal();
        x.AddInPlace(Tensor.Eye(3, DType.Float64));
        Assert.Equal([1.0, 1, 1], d.ToDoubleArray());
    }

    [Fact]
    public void DiagonalGradientIsZeroOffTheDiagonal()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, [2, 3], requiresGrad: true);
        x.Diagonal(1).Backward(Tensor.FromArray(new[] { 10.0, 20 }, [2]));
        Assert.Equal([0.0, 10, 0, 0, 0, 20], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void DiagonalGradientKeepsInfinityOnTheDiagonal()
    {
        var x = Tensor.Zeros([2, 2], DType.Float64, requiresGrad: true);
        x.Diagonal().Backward(Tensor.FromArray(new[] { double.PositiveInfinity, 1 }, [2]));
        Assert.Equal([double.PositiveInfinity, 0, 0, 1], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void DiagonalBadArgumentsAreClearErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).Diagonal());
        Assert.Contains("Diagonal", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 2).Diagonal(0, 1, -1));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 2).Diagonal(0, 0, 2));
    }
}
