using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>GroupNorm and RMSNorm (modules and Functional): values by hand, shapes, defaults, parameters, errors.</summary>
public class GroupRmsNormTests
{
    static Tensor D(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    static double[] Values(Tensor t) => t.To(DType.Float64).ToArray<double>();

    static double Tol(DType dtype) => dtype == DType.Float32 ? 1e-5 : 1e-12;

    static void AssertClose(double[] expected, double[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], tol);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void GroupNormNormalizesEachGroupOfChannelsAndPositions(DType dtype)
    {
        // [1, 4, 2], 2 groups. Group 0 = channels 0, 1 = [1, 3, 5, 7]: mean 4, biased variance (9+1+1+9)/4 = 5.
        // Group 1 = channels 2, 3 = [0, 0, 0, 4]: mean 1, variance (1+1+1+9)/4 = 3.
        var x = D([1, 3, 5, 7, 0, 0, 0, 4], 1, 4, 2).To(dtype);
        double s0 = Math.Sqrt(5 + 1e-5), s1 = Math.Sqrt(3 + 1e-5);
        double[] expected = [-3 / s0, -1 / s0, 1 / s0, 3 / s0, -1 / s1, -1 / s1, -1 / s1, 3 / s1];
        var norm = new GroupNorm(2, 4, dtype: dtype);
        var y = norm.Call(x);
        Assert.Equal([1, 4, 2], y.Shape.ToArray());
        Assert.Equal(dtype, y.DType);
        AssertClose(expected, Values(y), Tol(dtype));
        AssertClose(expected, Values(F.GroupNorm(x, 2)), Tol(dtype));
        // Affine per channel: weight [1, 2, 3, 4], bias [0, 1, 0, -1].
        double[] w = [1, 2, 3, 4], b = [0, 1, 0, -1];
        norm.Weight!.Assign(D(w, 4).To(dtype));
        norm.Bias!.Assign(D(b, 4).To(dtype));
        var affine = Values(norm.Call(x));
        for (int i = 0; i < 8; i++) Assert.Equal(expected[i] * w[i / 2] + b[i / 2], affine[i], Tol(dtype));
    }

    [Fact]
    public void GroupNormWithOneGroupIsLayerNormAndWithCGroupsIsInstanceNorm()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * 6 * 3).Select(i => Math.Sin(i * 1.7) * 3).ToArray(), [2, 6, 3]);
        AssertClose(Values(F.LayerNorm(x, [6, 3])), Values(F.GroupNorm(x, 1)), 1e-12);
        AssertClose(Values(F.InstanceNorm(x)), Values(F.GroupNorm(x, 6)), 1e-12);
        // Three groups of two channels = LayerNorm of [N·3, 2·3] rows.
        AssertClose(Values(F.LayerNorm(x.Reshape(6, 6), [6]).Reshape(2, 6, 3)), Values(F.GroupNorm(x, 3)), 1e-12);
    }

    [Fact]
    public void GroupNormShapesParametersAndDefaults()
    {
        var norm = new GroupNorm(3, 6);
        Assert.Equal(["weight", "bias"], norm.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal([6], norm.Weight!.Shape.ToArray());
        Assert.All(Values(norm.Weight), v => Assert.Equal(1.0, v));
        Assert.All(Values(norm.Bias!), v => Assert.Equal(0.0, v));
        Assert.Equal(["weight", "bias"], norm.StateDict().Keys.ToArray());
        Assert.Equal(1e-5, norm.Eps);
        Assert.StartsWith("GroupNorm(3, 6, eps=", norm.ToString());
        Assert.Contains("affine=True", norm.ToString());
        Assert.Equal([2, 6, 2, 3, 1], norm.Call(Tensor.Ones(2, 6, 2, 3, 1)).Shape.ToArray());
        Assert.Equal([0, 6, 4], norm.Call(Tensor.Ones(0, 6, 4)).Shape.ToArray());   // an empty batch is a normal input
        var plain = new GroupNorm(2, 4, affine: false);
        Assert.Empty(plain.Parameters());
        Assert.Contains("affine=False", plain.ToString());
        // [N, C] with groups of one channel and N > 1: each group is one value, so a constant group gives 0.
        AssertClose([0, 0, 0, 0], Values(F.GroupNorm(D([1, 2, 3, 4], 2, 2), 2)), 0);
        // A float64 input through a float64 module stays float64.
        Assert.Equal(DType.Float64, new GroupNorm(1, 2, dtype: DType.Float64).Call(Tensor.Ones([2, 2, 2], DType.Float64)).DType);
    }

    [Fact]
    public void GroupNormRejectsBadInput()
    {
        void Throws(Action call, string part)
        {
            var e = Assert.Throws<ArgumentException>(call);
            Assert.Contains("GroupNorm", e.Message);
            Assert.Contains(part, e.Message);
            Assert.Contains("GroupRmsNormTests.cs:", e.Message);
        }
        Throws(() => new GroupNorm(4, 6), "divisible");
        Throws(() => new GroupNorm(0, 6), "divisible");
        Throws(() => F.GroupNorm(Tensor.Zeros(2, 6, 3), 4), "divisible");
        Throws(() => new GroupNorm(2, 4).Call(Tensor.Zeros(2, 6, 3)), "weight must be [6]");
        Throws(() => F.GroupNorm(Tensor.Zeros(2, 4), 2, bias: Tensor.Zeros(2)), "bias must be [4]");
        Throws(() => F.GroupNorm(Tensor.Zeros(4), 2), "at least 2 dims");
        Throws(() => F.GroupNorm(Tensor.Zeros([2, 4], DType.Int64), 2), "floating");
        // As PyTorch: a single value per group over the whole batch (N·C/G·spatial = 1) is an error.
        Throws(() => F.GroupNorm(Tensor.Zeros(1, 2, 1), 2), "more than 1 value");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void RmsNormDividesByTheRootMeanSquare(DType dtype)
    {
        // Row [3, 4]: mean square (9+16)/2 = 12.5. Row [1, -1]: mean square 1. No mean subtraction.
        var x = D([3, 4, 1, -1], 2, 2).To(dtype);
        double s0 = Math.Sqrt(12.5 + 1e-6), s1 = Math.Sqrt(1 + 1e-6);
        double[] expected = [3 / s0, 4 / s0, 1 / s1, -1 / s1];
        var norm = new RMSNorm(2, eps: 1e-6, dtype: dtype);
        AssertClose(expected, Values(norm.Call(x)), Tol(dtype));
        AssertClose(expected, Values(F.RmsNorm(x, 2, eps: 1e-6)), Tol(dtype));
        norm.Weight!.Assign(D([2, -1], 2).To(dtype));
        AssertClose([6 / s0, -4 / s0, 2 / s1, 1 / s1], Values(norm.Call(x)), Tol(dtype));
        // Over the last two dims: all four values, mean square (9+16+1+1)/4 = 6.75.
        double s = Math.Sqrt(6.75 + 1e-6);
        var both = F.RmsNorm(x.Reshape(1, 2, 2), [2, 2], D([1, 1, 1, 2], 2, 2).To(dtype), 1e-6);
        Assert.Equal([1, 2, 2], both.Shape.ToArray());
        AssertClose([3 / s, 4 / s, 1 / s, -2 / s], Values(both), Tol(dtype));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void RmsNormDefaultEpsIsTheDTypesMachineEpsilon(DType dtype)
    {
        // torch.finfo(float32).eps = 2⁻²³ ≈ 1.19e-7, float64 2⁻⁵². With x = ±1e-3 the mean square is 1e-6, so
        // float32's eps shows: y = 1e-3/√(1e-6 + 2⁻²³) ≈ 0.9453, while float64's leaves y ≈ 1.
        double eps = dtype == DType.Float32 ? Math.Pow(2, -23) : Math.Pow(2, -52);
        double y = 1e-3 / Math.Sqrt(1e-6 + eps);
        var x = D([1e-3, -1e-3], 1, 2).To(dtype);
        AssertClose([y, -y], Values(new RMSNorm(2, dtype: dtype).Call(x)), Tol(dtype));
        AssertClose([y, -y], Values(F.RmsNorm(x, [2])), Tol(dtype));
        // The zero vector stays zero (the eps keeps the denominator positive).
        AssertClose([0, 0], Values(F.RmsNorm(Tensor.Zeros([1, 2], dtype), 2)), 0);
    }

    [Fact]
    public void RmsNormParametersAndDefaults()
    {
        var norm = new RMSNorm([3, 4]);
        Assert.Equal(["weight"], norm.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal([3, 4], norm.Weight!.Shape.ToArray());
        Assert.All(Values(norm.Weight), v => Assert.Equal(1.0, v));
        Assert.Null(norm.Eps);
        Assert.Equal("RMSNorm((3, 4), eps=None, elementwise_affine=True)", norm.ToString());
        Assert.Equal([5, 3, 4], norm.Call(Tensor.Ones(5, 3, 4)).Shape.ToArray());
        Assert.Equal([0, 3, 4], norm.Call(Tensor.Ones(0, 3, 4)).Shape.ToArray());
        var plain = new RMSNorm(4, eps: 0.5, elementwiseAffine: false);
        Assert.Empty(plain.Parameters());
        Assert.Equal("RMSNorm((4,), eps=0.5, elementwise_affine=False)", plain.ToString());
        // All ones: mean square 1, so y = 1/√1.5.
        AssertClose([1 / Math.Sqrt(1.5), 1 / Math.Sqrt(1.5), 1 / Math.Sqrt(1.5), 1 / Math.Sqrt(1.5)], Values(plain.Call(Tensor.Ones(4))), 1e-6);
    }

    [Fact]
    public void RmsNormRejectsBadInput()
    {
        void Throws(Action call, string part)
        {
            var e = Assert.Throws<ArgumentException>(call);
            Assert.Contains("RMSNorm", e.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(part, e.Message);
            Assert.Contains("GroupRmsNormTests.cs:", e.Message);
        }
        Throws(() => new RMSNorm(4).Call(Tensor.Zeros(2, 5)), "must end in the normalized shape");
        Throws(() => F.RmsNorm(Tensor.Zeros(2, 3), [2, 3, 1]), "must end in the normalized shape");
        Throws(() => F.RmsNorm(Tensor.Zeros(2, 3), []), "must end in the normalized shape");
        Throws(() => F.RmsNorm(Tensor.Zeros(2, 3), 3, Tensor.Ones(2)), "weight must have the normalized shape");
        Throws(() => F.RmsNorm(Tensor.Zeros([2, 3], DType.Int32), 3), "floating");
        Throws(() => new RMSNorm(Array.Empty<int>()), "non-empty");
        Throws(() => new RMSNorm(0), "positive");
    }
}
