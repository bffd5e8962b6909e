using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>An elementwise predicate on two values (a comparison); NaN follows IEEE rules (only != is true).</summary>
internal interface ICompareOp<T> where T : unmanaged
{
    static abstract bool Invoke(T a, T b);
}

/// <summary>A comparison with a vector form: all-ones lanes where the predicate holds, zero lanes elsewhere.</summary>
internal interface IVectorCompareOp<T> : ICompareOp<T> where T : unmanaged
{
    static abstract Vector256<T> Invoke(Vector256<T> a, Vector256<T> b);
}

/// <summary>The six comparisons (C# operators and their IEEE vector forms: NaN compares false except !=).</summary>
internal static class CompareOps
{
    public readonly struct Equal<T> : IVectorCompareOp<T> where T : unmanaged, INumber<T>
    {
        public static bool Invoke(T a, T b) => a == b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.Equals(a, b);
    }

    public readonly struct NotEqual<T> : IVectorCompareOp<T> where T : unmanaged, INumber<T>
    {
        public static bool Invoke(T a, T b) => a != b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => ~Vector256.Equals(a, b);
    }

    public readonly struct Less<T> : IVectorCompareOp<T> where T : unmanaged, INumber<T>
    {
        public static bool Invoke(T a, T b) => a < b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.LessThan(a, b);
    }

    public readonly struct LessEqual<T> : IVectorCompareOp<T> where T : unmanaged, INumber<T>
    {
        public static bool Invoke(T a, T b) => a <= b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.LessThanOrEqual(a, b);
    }

    public readonly struct Greater<T> : IVectorCompareOp<T> where T : unmanaged, INumber<T>
    {
        public static bool Invoke(T a, T b) => a > b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThan(a, b);
    }

    public readonly struct GreaterEqual<T> : IVectorCompareOp<T> where T : unmanaged, INumber<T>
    {
        public static bool Invoke(T a, T b) => a >= b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThanOrEqual(a, b);
    }
}

/// <summary>
/// y = op(a, b) as a Bool tensor over two same-shape views (expanded, strided or the same tensor),
/// walked as runs. The op is a struct, so the per-element call is inlined into a tight scalar loop
/// per run (stride 0 handles a broadcast operand, any other stride is stepped in place).
/// </summary>
internal static class CompareDriver
{
    public static Tensor Run<T, TOp>(Tensor a, Tensor b) where T : unmanaged where TOp : ICompareOp<T>
    {
        using var raw = Backends.RawAccess.Enter();
        if (!a.Shape.Equals(b.Shape)) throw new ArgumentException($"internal: compare on shapes {a.Shape} and {b.Shape}");
        var y = CpuTensor.Empty(DType.Bool, a.Shape);
        var loop = new StridedLoop(y.Shape.Span, [a.Strides, b.Strides, y.Strides], [a.Offset, b.Offset, 0]);
        int sa = loop.InnerStride(0), sb = loop.InnerStride(1);
        var ad = a.Data<T>();
        var bd = b.Data<T>();
        var yd = y.Data<bool>();
        CpuParallel.ForRuns(loop, (offs, n) =>
        {
            var dst = yd.AsSpan(offs[2], n);
            if (sa == 1 && sb == 1)
            {
                var ra = ad.AsSpan(offs[0], n);
                var rb = bd.AsSpan(offs[1], n);
                for (int i = 0; i < dst.Length; i++) dst[i] = TOp.Invoke(ra[i], rb[i]);
            }
            else
            {
                for (int i = 0, ia = offs[0], ib = offs[1]; i < dst.Length; i++, ia += sa, ib += sb)
                    dst[i] = TOp.Invoke(ad[ia], bd[ib]);
            }
        });
        return y;
    }

    /// <summary>
    /// As <see cref="Run{T, TOp}"/>, with contiguous runs compared a vector at a time: the lane mask's
    /// sign bits are spread to one 0/1 byte per lane (one PDEP on BMI2 hardware).
    /// </summary>
    public static Tensor RunSimd<T, TOp>(Tensor a, Tensor b) where T : unmanaged where TOp : IVectorCompareOp<T>
    {
        using var raw = Backends.RawAccess.Enter();
        if (!Vector256.IsHardwareAccelerated || !Vector256<T>.IsSupported) return Run<T, TOp>(a, b);
        if (!a.Shape.Equals(b.Shape)) throw new ArgumentException($"internal: compare on shapes {a.Shape} and {b.Shape}");
        var y = CpuTensor.Empty(DType.Bool, a.Shape);
        var loop = new StridedLoop(y.Shape.Span, [a.Strides, b.Strides, y.Strides], [a.Offset, b.Offset, 0]);
        int sa = loop.InnerStride(0), sb = loop.InnerStride(1);
        var ad = a.Data<T>();
        var bd = b.Data<T>();
        var yd = y.Data<bool>();
        CpuParallel.ForRuns(loop, (offs, n) =>
        {
            int i = 0;
            if (sa == 1 && sb == 1)
            {
                ref T ar = ref ad[offs[0]];
                ref T br = ref bd[offs[1]];
                ref byte yr = ref Unsafe.As<bool, byte>(ref yd[offs[2]]);
                int w = Vector256<T>.Count;
                for (; i <= n - w; i += w)
                {
                    uint bits = TOp.Invoke(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i)).ExtractMostSignificantBits();
                    Spread(bits, w, ref Unsafe.Add(ref yr, i));
                }
            }
            for (int ia = offs[0] + i * sa, ib = offs[1] + i * sb; i < n; i++, ia += sa, ib += sb)
                yd[offs[2] + i] = TOp.Invoke(ad[ia], bd[ib]);
        });
        return y;
    }

    // Bit l of 'bits' becomes byte l (0 or 1) for l < lanes (4, 8, 16 or 32).
    static void Spread(uint bits, int lanes, ref byte dst)
    {
        for (int l = 0; l < lanes; l += 8, bits >>= 8)
        {
            ulong bytes = Bmi2.X64.IsSupported
                ? Bmi2.X64.ParallelBitDeposit(bits & 0xFF, 0x0101010101010101UL)
                : SpreadSoftware(bits & 0xFF);
            if (lanes - l >= 8) Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, l), bytes);
            else Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, l), (uint)bytes);
        }
    }

    static ulong SpreadSoftware(uint b)
    {
        ulong r = 0;
        for (int l = 0; l < 8; l++) r |= (ulong)((b >> l) & 1) << (8 * l);
        return r;
    }
}

/// <summary>
/// y = cond ? a : b elementwise over same-shape views (cond Bool; a and b one dtype, any dtype).
/// NaN in the unselected operand never reaches the output.
/// </summary>
internal static class WhereDriver
{
    public static Tensor Run(Tensor cond, Tensor a, Tensor b)
    {
        using var raw = Backends.RawAccess.Enter();
        if (cond.DType != DType.Bool || a.DType != b.DType || !a.Shape.Equals(b.Shape) || !cond.Shape.Equals(a.Shape))
            throw new ArgumentException($"internal: where on {cond.DType}{cond.Shape}, {a.DType}{a.Shape}, {b.DType}{b.Shape}");
        return a.DType switch
        {
            DType.Float32 => Run<float>(cond, a, b),
            DType.Float64 => Run<double>(cond, a, b),
            DType.Int32 => Run<int>(cond, a, b),
            DType.Int64 => Run<long>(cond, a, b),
            DType.Bool => Run<bool>(cond, a, b),
            _ => throw new ArgumentOutOfRangeException(nameof(a)),
        };
    }

    static Tensor Run<T>(Tensor cond, Tensor a, Tensor b) where T : unmanaged
    {
        var y = CpuTensor.Empty(a.DType, a.Shape);
        var loop = new StridedLoop(y.Shape.Span, [cond.Strides, a.Strides, b.Strides, y.Strides], [cond.Offset, a.Offset, b.Offset, 0]);
        int sc = loop.InnerStride(0), sa = loop.InnerStride(1), sb = loop.InnerStride(2);
        var cd = cond.Data<bool>();
        var ad = a.Data<T>();
        var bd = b.Data<T>();
        var yd = y.Data<T>();
        CpuParallel.ForRuns(loop, (offs, n) =>
        {
            var dst = yd.AsSpan(offs[3], n);
            for (int i = 0, ic = offs[0], ia = offs[1], ib = offs[2]; i < dst.Length; i++, ic += sc, ia += sa, ib += sb)
                dst[i] = cd[ic] ? ad[ia] : bd[ib];
        });
        return y;
    }
}
