using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>
/// Nabla.NN.Init as torch.nn.init: gains by hand, fills in place under no-grad on parameters, bounds and moments of the
/// random fills (tolerances of about five standard errors over 20000 samples), seeds, and errors naming the caller.
/// </summary>
public class InitTests
{
    static Tensor Param(int[] shape, DType dtype = DType.Float64)
    {
        var t = Tensor.Zeros(shape, dtype);
        t.RequiresGrad = true;
        return t;
    }

    static double[] Values(Tensor t) => t.To(DType.Float64).ToArray<double>();

    static (double Mean, double Var) Moments(double[] v)
    {
        double mean = v.Average();
        return (mean, v.Select(x => (x - mean) * (x - mean)).Sum() / (v.Length - 1));
    }

    [Fact]
    public void GainsAreTorchs()
    {
        Assert.Equal(1, Init.CalculateGain(Nonlinearity.Linear));
        Assert.Equal(1, Init.CalculateGain(Nonlinearity.Conv2d));
        Assert.Equal(1, Init.CalculateGain(Nonlinearity.Sigmoid));
        Assert.Equal(5.0 / 3, Init.CalculateGain(Nonlinearity.Tanh));
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain(Nonlinearity.ReLU));
        Assert.Equal(0.75, Init.CalculateGain(Nonlinearity.SELU));
        // leaky ReLU: sqrt(2/(1 + 0.01^2)) by default, sqrt(2/(1 + 0.2^2)) = sqrt(2/1.04) with slope 0.2
        Assert.Equal(Math.Sqrt(2 / 1.0001), Init.CalculateGain(Nonlinearity.LeakyReLU), 15);
        Assert.Equal(Math.Sqrt(2 / 1.04), Init.CalculateGain(Nonlinearity.LeakyReLU, 0.2), 15);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void UniformAndNormalFillParametersInPlace(DType dtype)
    {
        var w = Param([100, 200], dtype);
        var storage = w.Storage;
        int version = w.Version;
        var same = Init.Uniform(w, -1, 3, seed: 5);
        Assert.Same(w, same);
        Assert.Same(storage, w.Storage);
        Assert.True(w.Version > version);
        Assert.True(w.IsLeaf && w.RequiresGrad);
        Assert.Equal(dtype, w.DType);
        var u = Values(w);
        Assert.All(u, x => Assert.InRange(x, -1, 3));
        var (mean, variance) = Moments(u);
        // U(-1, 3): mean 1, variance 16/12; standard error of the mean sqrt(4/3/20000) = 0.0082
        Assert.InRange(mean, 1 - 0.04, 1 + 0.04);
        Assert.InRange(variance, 4.0 / 3 * 0.96, 4.0 / 3 * 1.04);
        // The same seed gives the same values.
        Assert.Equal(u, Values(Init.Uniform(Param([100, 200], dtype), -1, 3, seed: 5)));

        Init.Normal(w, mean: 2, std: 0.5, seed: 6);
        (mean, variance) = Moments(Values(w));
        Assert.InRange(mean, 2 - 0.02, 2 + 0.02);   // standard error 0.5/sqrt(20000) = 0.0035
        Assert.InRange(variance, 0.25 * 0.95, 0.25 * 1.05);
    }

    [Fact]
    public void TruncNormalStaysInsideAndHasTheTruncatedMoments()
    {
        var w = Init.TruncNormal(Param([20000]), mean: 1, std: 2, a: 0, b: 3, seed: 7);
        var v = Values(w);
        Assert.All(v, x => Assert.InRange(x, 0, 3));
        // Truncated normal on [alpha, beta] = [-0.5, 1] in std units: mean = mu + sigma (phi(alpha) - phi(beta)) / Z,
        // Z = Phi(1) - Phi(-0.5) = 0.8413447 - 0.3085375 = 0.5328072 ; phi(-0.5) = 0.3520653, phi(1) = 0.2419707
        double z = 0.8413447460685429 - 0.3085375387259869, phiA = 0.3520653267642995, phiB = 0.24197072451914337;
        double wantMean = 1 + 2 * (phiA - phiB) / z;   // 1.41327...
        double wantVar = 4 * (1 + (-0.5 * phiA - 1 * phiB) / z - Math.Pow((phiA - phiB) / z, 2));
        var (mean, variance) = Moments(v);
        Assert.InRange(mean, wantMean - 0.03, wantMean + 0.03);
        Assert.InRange(variance, wantVar * 0.95, wantVar * 1.05);
        // Defaults: N(0, 1) cut at +-2
        Assert.All(Values(Init.TruncNormal(Param([1000], DType.Float32))), x => Assert.InRange(x, -2, 2));
    }

    [Fact]
    public void ErfInvInvertsErf()
    {
        foreach (double z in new[] { -0.999, -0.9, -0.5, -1e-3, 0, 0.25, 0.7, 0.95, 0.99999 })
            Assert.Equal(z, Nabla.Primitives.Special.Erf.Evaluate(Init.ErfInv(z)), 14);
        Assert.Equal(0.4769362762044699, Init.ErfInv(0.5), 14);   // erfinv(0.5), a known value
    }

    [Fact]
    public void ConstantZerosOnesAndEye()
    {
        var w = Param([2, 3]);
        Assert.Equal(new double[6].Select(_ => 0.5), Values(Init.Constant(w, 0.5)));
        Assert.Equal(new double[6], Values(Init.Zeros(w)));
        Assert.Equal(Enumerable.Repeat(1.0, 6), Values(Init.Ones(w)));
        Assert.Equal([1, 0, 0, 0, 1, 0], Values(Init.Eye(w)));   // not square: ones on the main diagonal
        Assert.Equal([7L, 7L], Init.Constant(Tensor.Zeros([2], DType.Int64), 7).ToArray<long>());   // integer tensors too
    }

    [Fact]
    public void XavierBoundsAndVariance()
    {
        // fan_in 30, fan_out 20: a = sqrt(6/50) = 0.34641 ; with gain 2 the bound doubles
        var w = Init.XavierUniform(Param([20, 30]), seed: 1);
        Assert.All(Values(w), x => Assert.InRange(Math.Abs(x), 0, Math.Sqrt(6.0 / 50)));
        Assert.True(Values(w).Max() > 0.9 * Math.Sqrt(6.0 / 50));
        var big = Init.XavierUniform(Param([200, 100]), gain: 2, seed: 2);
        // U(-a, a) variance a^2/3 = 4 * 6/300 / 3 = 0.02667
        Assert.InRange(Moments(Values(big)).Var, 0.08 / 3 * 0.95, 0.08 / 3 * 1.05);
        // Normal: std = sqrt(2/300) with gain 1, variance 1/150
        var n = Init.XavierNormal(Param([200, 100]), seed: 3);
        Assert.InRange(Moments(Values(n)).Var, 1.0 / 150 * 0.95, 1.0 / 150 * 1.05);
    }

    [Fact]
    public void KaimingFansCountTheKernel()
    {
        // Conv weight [16, 8, 5, 5]: fan_in 8*25 = 200, fan_out 16*25 = 400.
        // Defaults (a 0, fan_in, leaky ReLU): bound = sqrt(2)*sqrt(3/200) = sqrt(6/200)
        var w = Init.KaimingUniform(Param([16, 8, 5, 5]), seed: 1);
        double bound = Math.Sqrt(6.0 / 200);
        Assert.All(Values(w), x => Assert.InRange(Math.Abs(x), 0, bound));
        Assert.InRange(Moments(Values(w)).Var, bound * bound / 3 * 0.93, bound * bound / 3 * 1.07);
        // fan_out with ReLU, normal: std^2 = 2/400
        var n = Init.KaimingNormal(Param([16, 8, 5, 5]), mode: FanMode.FanOut, nonlinearity: Nonlinearity.ReLU, seed: 2);
        Assert.InRange(Moments(Values(n)).Var, 2.0 / 400 * 0.93, 2.0 / 400 * 1.07);
        // a = sqrt(5), PyTorch's Linear default: bound = sqrt(2/(1+5)) * sqrt(3/fan_in) = 1/sqrt(fan_in) (Init.Bound)
        var lin = Init.KaimingUniform(Param([50, 64]), a: Math.Sqrt(5), seed: 3);
        Assert.All(Values(lin), x => Assert.InRange(Math.Abs(x), 0, 1 / 8.0 + 1e-15));
        Assert.True(Values(lin).Max() > 0.9 / 8);
    }

    [Fact]
    public void BadInputThrowsNamingTheCaller()
    {
        Action[] bad =
        [
            () => Init.XavierUniform(Param([5])), () => Init.KaimingNormal(Param([5])),
            () => Init.Uniform(Tensor.Zeros([3], DType.Int64)), () => Init.Normal(Param([3]), std: -1),
            () => Init.Uniform(Param([3]), 2, 1), () => Init.Eye(Param([2, 2, 2])), () => Init.TruncNormal(Param([3]), a: 1, b: 0),
        ];
        foreach (var call in bad)
            Assert.Contains("InitTests.cs:", Assert.Throws<ArgumentException>(call).Message);
        Assert.Contains("Init.XavierUniform: fan in and fan out can't be computed", Assert.Throws<ArgumentException>(bad[0]).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(bad[2]).Message);
    }
}
