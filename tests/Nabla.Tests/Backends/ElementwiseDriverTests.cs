using Nabla.Backends;
using Nabla.Backends.Cpu;
using Nabla.Backends.Cpu.Kernels;

namespace Nabla.Tests.Backends;

/// <summary>Unary, binary, compare and where drivers against plain scalar loops, on every layout.</summary>
[Collection(CpuStateCollection.Name)]
public class ElementwiseDriverTests
{
    internal static float[] Values(int n, int seed)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)Math.Round(rng.NextDouble() * 20 - 10, 2);
        return v;
    }

    // A 1-D view of n elements at offset 1 with the given stride (0 = one broadcast value).
    static (Tensor View, Func<int, float> At) Strided(int n, int stride, int seed)
    {
        var data = Values(1 + Math.Max(1, n * Math.Max(stride, 1)), seed);
        var t = Tensor.FromArray(data, [data.Length]).View(new Shape(n), [stride], 1);
        return (t, i => data[1 + i * stride]);
    }

    [Fact]
    public void UnaryAllLengthsAndStrides()
    {
        for (int n = 0; n <= 257; n++)
            foreach (var stride in new[] { 1, 3, 0 })
            {
                var (x, at) = Strided(n, stride, n);
                var y = CpuTensor.Empty(DType.Float32, x.Shape);
                ElementwiseDriver.Unary<float>(x, y, SimdDriver.Unary<float, NegKernel.Op<float>>);
                var got = y.ToArray<float>();
                for (int i = 0; i < n; i++) Assert.Equal(-at(i), got[i]);
            }
    }

    [Fact]
    public void BinaryAllLengthsStridesAndBroadcast()
    {
        for (int n = 0; n <= 257; n++)
            foreach (var (sa, sb) in new[] { (1, 1), (2, 1), (1, 0), (0, 1), (3, 2), (0, 0) })
            {
                var (a, atA) = Strided(n, sa, n);
                var (b, atB) = Strided(n, sb, n + 1000);
                var y = CpuTensor.Empty(DType.Float32, a.Shape);
                ElementwiseDriver.Binary<float>(a, b, y, SimdDriver.Binary<float, SubKernel.Op<float>>);
                var got = y.ToArray<float>();
                for (int i = 0; i < n; i++) Assert.Equal(atA(i) - atB(i), got[i]);
            }
    }

    [Fact]
    public void BinaryAliasedAndTransposedOperands()
    {
        var data = Values(6 * 7, 5);
        var m = Tensor.FromArray(data, [6, 7]);
        var sq = (m * m).ToArray<float>();                      // same tensor as both operands
        for (int i = 0; i < data.Length; i++) Assert.Equal(data[i] * data[i], sq[i]);
        var t = m.T;                                            // [7, 6] view, strides (1, 7)
        var sum = (t + t.Contiguous()).ToArray<float>();
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 6; j++) Assert.Equal(2 * data[j * 7 + i], sum[i * 6 + j]);
        var neg = (-t).ToArray<float>();                        // unary on a transposed view
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 6; j++) Assert.Equal(-data[j * 7 + i], neg[i * 6 + j]);
    }

    [Fact]
    public void CompareWithNaNBroadcastAndStrides()
    {
        var a = Tensor.FromArray(new[] { 1f, float.NaN, 3f, -0f, 5f, 2f }, [2, 3]);
        var b = Tensor.FromArray(new[] { 1f, 2f, 3f }, [1, 3]).Expand(2, 3);
        Assert.Equal(new[] { true, false, true, false, false, false }, CompareDriver.Run<float, CompareOps.Equal<float>>(a, b).ToArray<bool>());
        Assert.Equal(new[] { false, true, false, true, true, true }, CompareDriver.Run<float, CompareOps.NotEqual<float>>(a, b).ToArray<bool>());
        Assert.Equal(new[] { false, false, false, true, false, true }, CompareDriver.Run<float, CompareOps.Less<float>>(a, b).ToArray<bool>());
        Assert.Equal(new[] { true, false, true, false, true, false }, CompareDriver.Run<float, CompareOps.GreaterEqual<float>>(a, b).ToArray<bool>());
        Assert.Equal(new[] { true, true, false, true }, CompareDriver.Run<float, CompareOps.LessEqual<float>>(a.T.View(new Shape(2, 2), [1, 3], 0), a.View(new Shape(2, 2), [1, 3], 0)).ToArray<bool>());
        for (int n = 0; n <= 257; n += 16)
        {
            var (x, atX) = Strided(n, 2, n);
            var (z, atZ) = Strided(n, 1, n + 7);
            var got = CompareDriver.Run<float, CompareOps.Greater<float>>(x, z).ToArray<bool>();
            for (int i = 0; i < n; i++) Assert.Equal(atX(i) > atZ(i), got[i]);
        }
    }

    static void SimdMatchesScalar<T>(Func<float, T> make, DType dtype) where T : unmanaged, System.Numerics.INumber<T>
    {
        for (int n = 0; n <= 257; n++)
        {
            var va = Values(2 * n + 1, n).Select(v => v > 8 ? float.NaN : MathF.Round(v / 4)).Select(make).ToArray();
            var vb = Values(2 * n + 1, n + 1).Select(v => v < -8 ? float.NaN : MathF.Round(v / 4)).Select(make).ToArray();
            var a = CpuTensor.Empty(dtype, new Shape(va.Length));
            var b = CpuTensor.Empty(dtype, new Shape(vb.Length));
            using (Nabla.Backends.RawAccess.Enter())
            {
                va.CopyTo(a.Data<T>(), 0);
                vb.CopyTo(b.Data<T>(), 0);
            }
            foreach (var (x, y) in new[] { (a.View(new Shape(n), [1], 0), b.View(new Shape(n), [1], 1)), (a.View(new Shape(n), [2], 0), b.View(new Shape(n), [0], 2 * n)), (a.View(new Shape(n), [1], 1), a.View(new Shape(n), [1], 1)) })
            {
                Assert.Equal(CompareDriver.Run<T, CompareOps.Equal<T>>(x, y).ToArray<bool>(), CompareDriver.RunSimd<T, CompareOps.Equal<T>>(x, y).ToArray<bool>());
                Assert.Equal(CompareDriver.Run<T, CompareOps.NotEqual<T>>(x, y).ToArray<bool>(), CompareDriver.RunSimd<T, CompareOps.NotEqual<T>>(x, y).ToArray<bool>());
                Assert.Equal(CompareDriver.Run<T, CompareOps.Less<T>>(x, y).ToArray<bool>(), CompareDriver.RunSimd<T, CompareOps.Less<T>>(x, y).ToArray<bool>());
                Assert.Equal(CompareDriver.Run<T, CompareOps.LessEqual<T>>(x, y).ToArray<bool>(), CompareDriver.RunSimd<T, CompareOps.LessEqual<T>>(x, y).ToArray<bool>());
                Assert.Equal(CompareDriver.Run<T, CompareOps.Greater<T>>(x, y).ToArray<bool>(), CompareDriver.RunSimd<T, CompareOps.Greater<T>>(x, y).ToArray<bool>());
                Assert.Equal(CompareDriver.Run<T, CompareOps.GreaterEqual<T>>(x, y).ToArray<bool>(), CompareDriver.RunSimd<T, CompareOps.GreaterEqual<T>>(x, y).ToArray<bool>());
            }
        }
    }

    [Fact]
    public void VectorCompareMatchesScalarForEveryDType()
    {
        SimdMatchesScalar(v => v, DType.Float32);
        SimdMatchesScalar(v => (double)v, DType.Float64);
        SimdMatchesScalar(v => float.IsNaN(v) ? 99 : (int)v, DType.Int32);
        SimdMatchesScalar(v => float.IsNaN(v) ? -99L : (long)v, DType.Int64);
        // The scalar driver itself, by hand: NaN is unordered.
        var nan = Tensor.FromArray(new[] { float.NaN, 1f }, [2]);
        Assert.Equal(new[] { false, true }, CompareDriver.RunSimd<float, CompareOps.Equal<float>>(nan, nan).ToArray<bool>());
    }

    [Fact]
    public void WhereSelectsPerElementForEveryDType()
    {
        var cond = Tensor.FromArray(new[] { true, false, false, true }, [2, 2]).T;   // strided condition
        var a = Tensor.FromArray(new[] { 1.0, 2, 3, 4 }, [2, 2]);
        var b = Tensor.FromArray(new[] { double.NaN }, [1, 1]).Expand(2, 2);
        var y = WhereDriver.Run(cond, a, b).ToArray<double>();
        Assert.Equal(1.0, y[0]);
        Assert.True(double.IsNaN(y[1]) && double.IsNaN(y[2]));
        Assert.Equal(4.0, y[3]);
        var yi = WhereDriver.Run(cond, Tensor.FromArray(new long[] { 1, 2, 3, 4 }, [2, 2]), Tensor.FromArray(new long[] { -1, -2, -3, -4 }, [2, 2]));
        Assert.Equal(new long[] { 1, -2, -3, 4 }, yi.ToArray<long>());
        var yb = WhereDriver.Run(cond, cond, Tensor.FromArray(new[] { true, true, true, true }, [2, 2]));
        Assert.Equal(new[] { true, true, true, true }, yb.ToArray<bool>());
    }

    [Fact]
    public void CastTypedPairs()
    {
        var f = Tensor.FromArray(new[] { 1.9f, -1.9f, 0f, float.NaN, 3e9f, -0.5f }, [6]);
        Assert.Equal(new[] { 1, -1, 0, 0, int.MaxValue, 0 }, CopyKernel.Cast(f, DType.Int32).ToArray<int>());
        Assert.Equal(new[] { true, true, false, true, true, true }, CopyKernel.Cast(f, DType.Bool).ToArray<bool>());
        var l = Tensor.FromArray(new[] { (1L << 32) + 5, -7L, (1L << 53) + 1 }, [3]);
        Assert.Equal(new[] { 5, -7, 1 }, CopyKernel.Cast(l, DType.Int32).ToArray<int>());
        Assert.Equal(new[] { 4294967301.0, -7, 9007199254740992.0 }, CopyKernel.Cast(l, DType.Float64).ToArray<double>());
        var b = Tensor.FromArray(new[] { true, false, true }, [3]);
        Assert.Equal(new[] { 1f, 0f, 1f }, CopyKernel.Cast(b, DType.Float32).ToArray<float>());
        Assert.Equal(new[] { 1L, 0, 1 }, CopyKernel.Cast(b, DType.Int64).ToArray<long>());
        // A strided view converts in place: column 1 of a [3, 2] int matrix.
        var m = Tensor.FromArray(new[] { 1, 2, 3, 4, 5, 6 }, [3, 2]).View(new Shape(3), [2], 1);
        Assert.Equal(new[] { 2.0, 4.0, 6.0 }, CopyKernel.Cast(m, DType.Float64).ToArray<double>());
        Assert.Empty(CopyKernel.Cast(Tensor.Zeros([0, 3]), DType.Int64).ToArray<long>());
    }

    [Fact]
    public void ThreadCountDoesNotChangeBits()
    {
        var data = Values(3 * 100_003, 9);
        var big = Tensor.FromArray(data, [3, 100_003]);
        var strided = big.View(new Shape(100_003, 2), [1, 100_003], 0);
        float[] Run(int threads) => CpuState.WithThreads(threads, () =>
        {
            var y = CpuTensor.Empty(DType.Float32, strided.Shape);
            ElementwiseDriver.Binary<float>(strided, strided, y, SimdDriver.Binary<float, MulKernel.Op<float>>);
            var z = CpuTensor.Empty(DType.Float32, big.Shape);
            ElementwiseDriver.Unary<float>(big, z, SimdDriver.Unary<float, NegKernel.Op<float>>);
            return y.ToArray<float>().Concat(z.ToArray<float>()).ToArray();
        });
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(data[100_003] * data[100_003], one[1]);
    }
}
