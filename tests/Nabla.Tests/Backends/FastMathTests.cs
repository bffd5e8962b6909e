using System.Runtime.Intrinsics;
using Nabla.Backends.Cpu;
using Nabla.Primitives.Special;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.Backends;

/// <summary>
/// The float32 kernels of <see cref="FastMath"/> against double references: strided sweeps over every
/// binade of the range that matters, dense sweeps across each branch switch, special values, tails,
/// the Vector256 code against the Vector512 code, and thread-count independence through the ops.
/// </summary>
[Collection(CpuStateCollection.Name)]
public class FastMathTests
{
    static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    // erfc for a ≥ 0 in double: 1 - erf below 2 (erfc ≥ 0.0047 there), the continued fraction beyond.
    static double Erfc(double a)
    {
        if (a < 2) return 1 - Erf.Evaluate(a);
        if (a > 27) return 0;
        double f = a, c = a, d = 0;
        for (int k = 1; k < 5000; k++)
        {
            d = 1 / (a + k * 0.5 * d);
            c = a + k * 0.5 / c;
            f *= c * d;
            if (Math.Abs(c * d - 1) < 1e-16) break;
        }
        return Math.Exp(-a * a) / (Math.Sqrt(Math.PI) * f);
    }

    // x·Φ(x) with Φ from erfc in the negative tail, so the reference keeps its relative accuracy there.
    static double Gelu(double x) => x < 0 ? 0.5 * x * Erfc(-x / Math.Sqrt(2)) : 0.5 * x * (1 + Erf.Evaluate(x / Math.Sqrt(2)));

    static double Ulp(double reference)
    {
        float f = Math.Min((float)Math.Abs(reference), float.MaxValue);
        return Math.ScaleB(1.0, Math.Max(f == 0 ? -126 : Math.ILogB(f), -126) - 23);
    }

    // Every stride-th float bit pattern with |x| in range, both signs, plus every float in [lo, hi].
    static float[] Sweep(float max, int stride, float denseLo = 0, float denseHi = 0)
    {
        var xs = new List<float>();
        for (long bits = 0; bits < 0x7F800000L; bits += stride)
        {
            float v = BitConverter.Int32BitsToSingle((int)bits);
            if (v > max) break;
            xs.Add(v);
            xs.Add(-v);
        }
        for (float v = denseLo; v < denseHi; v = MathF.BitIncrement(v)) xs.Add(v);
        return [.. xs];
    }

    // Max error in ulps of the float-rounded reference where that is a normal float; below (denormals)
    // the error in units of the smallest denormal is checked against denormalQuanta. References smaller
    // than tailBelow in magnitude get tailUlps instead of maxUlps.
    static void CheckUlps(SpanMap<float> kernel, Func<double, double> reference, float[] x, double maxUlps, double denormalQuanta,
        double tailBelow = 0, double tailUlps = 0)
    {
        var y = new float[x.Length];
        kernel(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double r = reference(x[i]);
            if ((float)r == y[i]) continue;
            double err = Math.Abs(y[i] - r);
            bool denormal = Math.Abs(r) < Math.ScaleB(1.0, -126);
            double limit = denormal ? denormalQuanta * float.Epsilon : (Math.Abs(r) < tailBelow ? tailUlps : maxUlps) * Ulp(r);
            Assert.True(err <= limit, $"x = {x[i]:R}: got {y[i]:R}, reference {r:R} ({err / Ulp(r):F2} ulp)");
        }
    }

    [Fact] public void ExpWithinOneUlp() => CheckUlps(FastMath.Exp, Math.Exp, Sweep(110, 1024, 88.5f, 88.75f), 1, 1);

    [Fact] public void TanhWithinTwoUlps() => CheckUlps(FastMath.Tanh, Math.Tanh, Sweep(20, 1024, 0.499f, 0.501f), 2, 1);

    // Measured over every float in [0, 11]: at most 1.81 ulp (at x = 0.2541445). Here every 101st float
    // of [-10, 10], and every float across each switch of the reduction's k (|x| = k·ln2/2), the switch of
    // the final step at 1/2 and the clamp (tanh rounds to ±1 from 9.011 on, the input is clamped at 9.1).
    [Fact]
    public void TanhDenseWithinTwoUlps()
    {
        var x = new List<float>();
        for (float v = 0.4995f; v < 0.5005f; v = MathF.BitIncrement(v)) x.Add(v);
        for (int k = 1; k <= 26; k++)
        {
            float edge = k * FastMath.Ln2Half;
            for (float v = edge * (1 - 1e-4f); v < edge * (1 + 1e-4f); v = MathF.BitIncrement(v)) x.Add(v);
        }
        for (float v = 9f; v < 9.2f; v = MathF.BitIncrement(v)) x.Add(v);
        CheckUlps(FastMath.Tanh, Math.Tanh, [.. Sweep(10, 101), .. x, .. x.Select(v => -v)], 2, 1);
    }

    [Fact] public void SigmoidWithinThreeUlps() => CheckUlps(FastMath.Sigmoid, Sigmoid, Sweep(120, 1024, -2.1f, -1.9f), 3, 1);

    // Measured over every float in [-105, 20] (beyond, the result is 0 or 1): at most 2.40 ulp, and 0.86 of
    // the smallest denormal below 1.2e-38. Here every 101st float of [-105, 20], and every float across
    // the switches of the reduction's k (-|x| = (k + 1/2)·ln2), the sign change and the clamp at -104.
    [Fact]
    public void SigmoidDenseWithinThreeUlps()
    {
        var x = new List<float>();
        for (float v = -105f; v < 20f; v = Step(v, 101)) x.Add(v);
        for (int k = 0; k < 150; k += 7)
        {
            float edge = -(k + 0.5f) * MathF.Log(2);
            for (float v = edge * (1 + 2e-5f); v < edge * (1 - 2e-5f); v = MathF.BitIncrement(v)) x.Add(v);
        }
        for (float v = -0.01f; v < 0.01f; v = Step(v, 4001)) x.Add(v);
        for (float v = -104.01f; v < -103.99f; v = MathF.BitIncrement(v)) x.Add(v);
        CheckUlps(FastMath.Sigmoid, Sigmoid, [.. x], 3, 1);
    }

    // The float n representable values above v (floats in order: -0 and +0 are one step apart).
    static float Step(float v, int n)
    {
        int b = BitConverter.SingleToInt32Bits(v);
        long o = (b >= 0 ? b : -(long)(b & int.MaxValue) - 1) + n;
        return BitConverter.Int32BitsToSingle(o >= 0 ? (int)o : (int)(-(o + 1)) | int.MinValue);
    }

    [Fact] public void ErfWithinThreeUlps() => CheckUlps(FastMath.Erf, Erf.Evaluate, Sweep(8, 2048, 0.9f, 0.95f), 3, 1);

    // Measured (every 4th float of [-25, 0], the sweep below for x ≥ 0): at most 2.6 ulp for x > -1,
    // 5.3 down to x = -13 (|y| ≥ 1e-37); beyond, Φ(x) itself is a denormal before the product with x and
    // the error reaches 12.5 ulp of results below 1e-37.
    [Fact] public void GeluWithinFiveAndAHalfUlps() => CheckUlps(FastMath.Gelu, Gelu, Sweep(25, 2048, 1.28f, 1.32f), 5.5, 16, 1e-37, 16);

    // |x| < 4 runs on GELU's piecewise table (FastMathTables): measured over every float of [-4, 4], at most
    // 2.01 ulp for x < 0 (Φ(x)'s relative error counts there) and 1.25 for x ≥ 0 (relu(x) - |x|·Φ(-|x|) in
    // one rounding, where only Φ(-|x|)'s absolute error counts). Here every 509th float, plus every float
    // across each row boundary (|x| = k/4) and the switch to the erfc path at 4.
    [Fact] public void GeluTableWithinTwoAndAHalfUlps()
    {
        var x = new List<float>(Sweep(4, 509).Where(v => v >= 0));
        for (int k = 1; k <= 16; k++)
            for (float v = k / 4f * (1 - 2e-5f); v < k / 4f * (1 + 2e-5f); v = MathF.BitIncrement(v)) x.Add(v);
        CheckUlps(FastMath.Gelu, Gelu, [.. x.Select(v => -v)], 2.5, 1);
        CheckUlps(FastMath.Gelu, Gelu, [.. x], 1.5, 1);
    }

    static float One(SpanMap<float> kernel, float x)
    {
        var y = new float[1];
        kernel([x], y);
        return y[0];
    }

    [Fact]
    public void ExpEdgesAsIeeeExpf()
    {
        Assert.Equal(float.PositiveInfinity, One(FastMath.Exp, 89f));
        Assert.Equal(float.PositiveInfinity, One(FastMath.Exp, 88.72284f));   // just above ln(FLT_MAX)
        Assert.Equal((float)Math.Exp(88.72283f), One(FastMath.Exp, 88.72283f));   // just below: finite
        Assert.Equal(0f, One(FastMath.Exp, -104f));
        Assert.Equal(float.Epsilon, One(FastMath.Exp, -103.9f));   // the smallest denormal
        Assert.Equal((float)Math.Exp(-100), One(FastMath.Exp, -100f));   // denormal, rounded once
        Assert.Equal(1f, One(FastMath.Exp, 0f));
        Assert.Equal(1f, One(FastMath.Exp, -0f));
        Assert.Equal(float.PositiveInfinity, One(FastMath.Exp, float.PositiveInfinity));
        Assert.Equal(0f, One(FastMath.Exp, float.NegativeInfinity));
        Assert.True(float.IsNaN(One(FastMath.Exp, float.NaN)));
    }

    [Fact]
    public void TanhSigmoidErfGeluSpecialValues()
    {
        foreach (var v in new[] { 9.5f, 20f, 100f, float.PositiveInfinity })
        {
            Assert.Equal(1f, One(FastMath.Tanh, v));
            Assert.Equal(-1f, One(FastMath.Tanh, -v));
            Assert.Equal(1f, One(FastMath.Erf, v));
            Assert.Equal(-1f, One(FastMath.Erf, -v));
            Assert.Equal(v, One(FastMath.Gelu, v));
        }
        Assert.Equal(1e-30f, One(FastMath.Tanh, 1e-30f));
        Assert.Equal(1e-40f, One(FastMath.Tanh, 1e-40f));
        Assert.True(float.IsNegative(One(FastMath.Tanh, -0f)));
        // erf(x) ≈ 2x/√π for tiny x; the float coefficient 2/√π is itself within half an ulp.
        Assert.True(Math.Abs(One(FastMath.Erf, 1e-30f) - 2 / Math.Sqrt(Math.PI) * 1e-30) <= Ulp(1.1283792e-30));
        Assert.Equal(1f, One(FastMath.Sigmoid, 100f));
        Assert.Equal((float)Math.Exp(-100), One(FastMath.Sigmoid, -100f));   // 3.7e-44, not 0
        Assert.Equal(1f, One(FastMath.Sigmoid, 1000f));
        Assert.Equal(0f, One(FastMath.Sigmoid, -1000f));
        Assert.Equal(0.5f, One(FastMath.Sigmoid, 0f));
        Assert.Equal(1f, One(FastMath.Sigmoid, float.PositiveInfinity));
        Assert.Equal(0f, One(FastMath.Sigmoid, float.NegativeInfinity));
        Assert.Equal(0f, One(FastMath.Gelu, -30f));   // -0: Φ underflows
        Assert.Equal(0f, One(FastMath.Gelu, 0f));
        Assert.True(float.IsNegative(One(FastMath.Gelu, -0f)));   // x·Φ(x) at -0
        Assert.True(float.IsNaN(One(FastMath.Gelu, float.NegativeInfinity)));   // -∞·0, as the composite formula
        foreach (SpanMap<float> k in new SpanMap<float>[] { FastMath.Exp, FastMath.Tanh, FastMath.Sigmoid, FastMath.Erf, FastMath.Gelu })
            Assert.True(float.IsNaN(One(k, float.NaN)));
    }

    static readonly SpanMap<float>[] Kernels = [FastMath.Exp, FastMath.Tanh, FastMath.Sigmoid, FastMath.Erf, FastMath.Gelu];

    [Fact]
    public void EveryLengthGivesEachElementItsOwnValue()
    {
        var x = ElementwiseDriverTests.Values(257, 7);
        foreach (var kernel in Kernels)
        {
            var alone = x.Select(v => One(kernel, v)).ToArray();
            for (int n = 0; n <= 257; n++)
            {
                var y = new float[n + 1];
                y[n] = 42;   // past the end: must stay untouched
                kernel(x.AsSpan(0, n), y.AsSpan(0, n));
                Assert.Equal(alone[..n], y[..n]);
                Assert.Equal(42, y[n]);
            }
        }
    }

    [Avx512Fact]
    public void Vector256CodeMatchesVector512Code()
    {
        var x = Sweep(30, 1 << 14);
        Array.Resize(ref x, x.Length / 16 * 16);
        Func<Vector256<float>, Vector256<float>>[] narrow = [FastMath256.Exp, FastMath256.Tanh, FastMath256.Sigmoid, FastMath256.Erf, FastMath256.Gelu];
        Func<Vector512<float>, Vector512<float>>[] wide = [FastMath512.Exp, FastMath512.Tanh, FastMath512.Sigmoid, FastMath512.Erf, FastMath512.Gelu];
        for (int k = 0; k < narrow.Length; k++)
            for (int i = 0; i < x.Length; i += 16)
            {
                var w = wide[k](Vector512.Create<float>(x.AsSpan(i, 16)));
                var n0 = narrow[k](Vector256.Create<float>(x.AsSpan(i, 8)));
                var n1 = narrow[k](Vector256.Create<float>(x.AsSpan(i + 8, 8)));
                Assert.Equal(Vector512.Create(n0, n1), w);
            }
    }

    [Fact]
    public void OpsGiveTheSameBitsOnOneAndTwoThreads()
    {
        var data = ElementwiseDriverTests.Values(300_001, 3);
        var x = Tensor.FromArray(data, [data.Length]);
        Func<Tensor, Tensor>[] ops = [t => t.Exp(), t => t.Tanh(), t => t.Sigmoid(), F.Erf, t => F.Gelu(t)];
        foreach (var op in ops)
        {
            var one = CpuState.WithThreads(1, () => op(x).ToArray<float>());
            var two = CpuState.WithThreads(2, () => op(x).ToArray<float>());
            Assert.Equal(one, two);
        }
    }

    [Fact]
    public void SigmoidPrimitiveKeepsItsDocumentedBehaviour()
    {
        var x = Tensor.FromArray(new[] { -1000.0, -100.0, 0.0, 1000.0 }, [4]);
        x.RequiresGrad = true;
        var y = x.Sigmoid();
        var v = y.ToArray<double>();
        Assert.Equal([0.0, Math.Exp(-100) / (1 + Math.Exp(-100)), 0.5, 1.0], v);
        y.Sum().Backward();
        var g = x.Grad!.ToArray<double>();
        Assert.Equal(0.0, g[0]);
        Assert.Equal(0.25, g[2]);
        Assert.Equal(0.0, g[3]);
        Assert.Equal(new[] { 3.7e-44f, 0.5f, 1f }, Tensor.FromArray(new[] { -100f, 0f, 100f }, [3]).Sigmoid().ToArray<float>(), (a, b) => Math.Abs(a - b) <= 1e-45f);
        Assert.Equal(DType.Float32, Tensor.FromArray(new[] { 1, 2 }, [2]).Sigmoid().DType);
    }
}

/// <summary>
/// A test of the Vector512 kernels themselves: skipped, saying so, on a CPU without AVX-512, where they cannot run and the
/// library never calls them (it takes the Vector256 path: Vector512.IsHardwareAccelerated is false there).
/// </summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            Skip = "this CPU has no AVX-512: the Vector512 kernels cannot run here and the library does not use them";
    }
}
