using Nabla.Backends.Cpu.Kernels;
using Nabla.Backends.Cpu.Kernels.Codegen;
using Nabla.Engine;
using Nabla.Graphs;
using Nabla.Primitives.Elementwise;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// Fused programs with several outputs: a group whose value a later group reads becomes part of it (ElementwiseFusion's
/// merge), and the merged op makes every value read outside it in one pass. Results are eager code's bits (both kernel
/// kinds, float32 and float64, odd lengths), outputs written by assignments right after the op are computed into their
/// destinations, what may not merge or be written in place stays as it was, and gradients through such an op are eager's.
/// </summary>
public class MultiOutputFusionTests
{
    const float Lr = 1e-3f, Beta1 = 0.9f, Beta2 = 0.999f, Eps = 1e-8f;

    /// <summary>Adam's update with tensor ops (bias corrections as constants), returning p', m', v'.</summary>
    static Tensor[] Adam(Tensor[] a)
    {
        var (p, g, m, v) = (a[0], a[1], a[2], a[3]);
        var m1 = Beta1 * m + (1 - Beta1) * g;
        var v1 = Beta2 * v + (1 - Beta2) * (g * g);
        var mHat = m1 / (1 - MathF.Pow(Beta1, 10));
        var vHat = v1 / (1 - MathF.Pow(Beta2, 10));
        return [p - Lr * mHat / (vHat.Sqrt() + Eps), m1, v1];
    }

    /// <summary>Two outputs, one of them also read inside the group after it is made.</summary>
    static Tensor[] TwoOutputs(Tensor[] a)
    {
        var e = (a[0] * a[1]).Exp();
        return [(e * a[0] - 1.0).Abs().Sqrt(), e];
    }

    /// <summary>Four outputs from two inputs, a chain where every second value is also returned.</summary>
    static Tensor[] FourOutputs(Tensor[] a)
    {
        var s = a[0] + a[1];
        var t = s * s;
        var u = (t - a[0]).Abs();
        var w = u.Sqrt() * a[1];
        return [s, (t + 1.0) * 0.5, u, w - s];
    }

    static Tensor Data(int n, DType dtype, int seed, double low = -3, double high = 3)
    {
        var rng = new Random(seed);
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = low + rng.NextDouble() * (high - low);
        return Tensor.FromArray(values, [n]).To(dtype);
    }

    static Tensor[] AdamInputs(int n, DType dtype, int seed) =>
        [Data(n, dtype, seed), Data(n, dtype, seed + 1), Data(n, dtype, seed + 2), Data(n, dtype, seed + 3, 0, 3)];

    static long[] Bits(Tensor t) => t.DType == DType.Float32
        ? [.. t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v))]
        : [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    static void AssertBitwise(Tensor[] expected, Tensor[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(Bits(expected[i]), Bits(actual[i]));
    }

    [Fact]
    public void AdamsThreeGroupsBecomeOneOpWithThreeOutputs()
    {
        var cf = Graph.Compile(Adam);
        var x = AdamInputs(5, DType.Float32, 1);
        AssertBitwise(Adam(x), cf.Call(x));
        Assert.Equal("""
            x
            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("fuse: fused 1 group(s) of 15 ops: [mul mul add mul mul mul add div div sqrt add mul div sub] (3 outputs)", cf.Explain());
    }

    [Fact]
    public void AnOutputAlsoReadInsideTheGroup()
    {
        var cf = Graph.Compile(TwoOutputs);
        var x = new[] { Data(7, DType.Float64, 2), Data(7, DType.Float64, 3) };
        AssertBitwise(TwoOutputs(x), cf.Call(x));
        Assert.Equal("""
            x
            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
    }

    public static TheoryData<DType, int, bool> Cases()
    {
        var data = new TheoryData<DType, int, bool>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (int n in new[] { 1, 15, 17, 1023, 100_003 })
                foreach (bool interpreter in new[] { true, false })
                    data.Add(dtype, n, interpreter);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TwoToFourOutputsAreEagersBits(DType dtype, int n, bool interpreter)
    {
        var saved = FusedKernelMode.Kind;
        FusedKernelMode.Kind = interpreter ? FusedKernelKind.Interpreter : FusedKernelKind.Codegen;
        try
        {
            var (adam, two, four) = (Graph.Compile(Adam), Graph.Compile(TwoOutputs), Graph.Compile(FourOutputs));
            for (int call = 0; call < 2; call++)
            {
                var x = AdamInputs(n, dtype, 10 * call);
                AssertBitwise(Adam(x), adam.Call(x));
                AssertBitwise(TwoOutputs(x[..2]), two.Call(x[..2]));
                AssertBitwise(FourOutputs(x[..2]), four.Call(x[..2]));
            }
            Assert.Contains("(3 outputs)", adam.Explain());
            Assert.Contains("(2 outputs)", two.Explain());
            Assert.Contains("(4 outputs)", four.Explain());
        }
        finally { FusedKernelMode.Kind = saved; }
    }
}
