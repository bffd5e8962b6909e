using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>The new activations' gradients at their kinks, as PyTorch's backward formulas give them, and their modules.</summary>
public class ActivationKinkTests
{
    static double[] Grad(Func<Tensor, Tensor> f, params double[] at)
    {
        var x = Tensor.FromArray(at, [at.Length], requiresGrad: true);
        f(x).Sum().Backward();
        return x.Grad!.ToDoubleArray();
    }

    [Fact]
    public void GradientsAtTheKinksFollowPyTorch()
    {
        Assert.Equal([0.2, 1], Grad(x => x.LeakyRelu(0.2), 0, 1));
        Assert.Equal([0.0, -0.5, 0.5, 1.5, 1], Grad(x => x.Hardswish(), -4, -3, 0, 3, 4));
        Assert.Equal([0.0, 0, 1, 0, 0], Grad(x => x.Hardtanh(), -2, -1, 0, 1, 2));
        Assert.Equal([0.25, 1], Grad(x => x.Prelu(Tensor.FromArray(new[] { 0.25 }, [1])), 0, 1));
        Assert.Equal([0.5], Grad(x => x.Silu(), 0));
    }

    [Fact]
    public void ValuesAtTheEnds()
    {
        var selu = Tensor.FromArray(new[] { double.NegativeInfinity, 0, 1 }, [3]).Selu().ToDoubleArray();
        Assert.Equal(-1.0507009873554804934193349852946 * 1.6732632423543772848170429916717, selu[0], 15);
        Assert.Equal([0.0, 1.0507009873554804934193349852946], selu[1..]);
        Assert.Equal([-0.5, 0, 0.75], Tensor.FromArray(new[] { -1.0, 0, 3 }, [3]).Softsign().ToDoubleArray());
        Assert.Equal([-1.0, 0.5, 1], Tensor.FromArray(new[] { -7.0, 0.5, 7 }, [3]).Hardtanh().ToDoubleArray());
    }

    [Fact]
    public void ModulesAndPReLUsLearnedSlopes()
    {
        var prelu = new PReLU(3);
        Assert.Equal(["weight"], prelu.StateDict().Keys);
        var x = Tensor.FromArray(new[] { -1.0f, 2, -3, 4, -5, 6 }, [1, 3, 2]);
        Assert.Equal(new[] { -0.25f, 2, -0.75f, 4, -1.25f, 6 }, prelu.Call(x).ToArray<float>());
        prelu.Call(x).Sum().Backward();
        Assert.Equal(new[] { -1f, -3, -5 }, prelu.Weight.Grad!.ToArray<float>());
        Assert.Equal(new[] { -0.02f, 2 }, new LeakyReLU(0.02).Call(Tensor.FromArray(new[] { -1f, 2 }, [2])).ToArray<float>());
        Assert.Contains("negative_slope=0.02", new LeakyReLU(0.02).ToString());
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Prelu(Tensor.Zeros(2)));
    }
}

/// <summary>Log1p, Expm1, Softplus and Mish at the values where naive formulas lose everything.</summary>
public class Log1pSoftplusTests
{
    static void Near(double expected, double actual, double relative = 1e-15) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void SmallArgumentsKeepTheirDigits()
    {
        var l = Tensor.FromArray(new[] { 1e-20, -1, -2, 1e-10, double.PositiveInfinity }, [5]).Log1p().ToDoubleArray();
        Assert.Equal(1e-20, l[0]);
        Assert.Equal(double.NegativeInfinity, l[1]);
        Assert.True(double.IsNaN(l[2]));
        Near(1e-10 - 5e-21, l[3]);
        Assert.Equal(double.PositiveInfinity, l[4]);
        var e = Tensor.FromArray(new[] { 1e-20, double.NegativeInfinity, 1e-10 }, [3]).Expm1().ToDoubleArray();
        Assert.Equal([1e-20, -1], e[..2]);
        Near(1e-10 + 5e-21, e[2]);
        Near(1e-7 - 5e-15, Tensor.FromArray(new[] { 1e-7f }, [1]).Log1p().ToArray<float>()[0], 1e-6);
    }

    [Fact]
    public void SoftplusIsAccurateFarOutAndItsGradientNeverNaN()
    {
        var x = Tensor.FromArray(new[] { -40.0, -800, 30, 1000 }, [4], requiresGrad: true);
        var y = x.Softplus();
        var v = y.ToDoubleArray();
        Near(Math.Exp(-40), v[0]);   // log(1 + e^-40) = e^-40 to double precision
        Assert.Equal([30.0, 1000], v[2..]);
        y.Sum().Backward();
        var g = x.Grad!.ToDoubleArray();
        Near(Math.Exp(-40) / (1 + Math.Exp(-40)), g[0]);
        Assert.Equal([0.0, 1, 1], g[1..]);
        Assert.Equal(0.0, Math.Abs(Tensor.FromArray(new[] { -1000.0 }, [1]).Mish().ToDoubleArray()[0]));
    }
}
