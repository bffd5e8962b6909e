using System.Numerics;

namespace Nabla.Backends.Cpu;

/// <summary>An elementwise predicate on two values (a comparison); NaN follows IEEE rules (only != is true).</summary>
internal interface ICompareOp<T> where T : unmanaged
{
    static abstract bool Invoke(T a, T b);
}

/// <summary>The six comparisons as <see cref="ICompareOp{T}"/> structs (C# operators, so NaN compares false except !=).</summary>
internal static class CompareOps
{
    public readonly struct Equal<T> : ICompareOp<T> where T : unmanaged, INumber<T> { public static bool Invoke(T a, T b) => a == b; }
    public readonly struct NotEqual<T> : ICompareOp<T> where T : unmanaged, INumber<T> { public static bool Invoke(T a, T b) => a != b; }
    public readonly struct Less<T> : ICompareOp<T> where T : unmanaged, INumber<T> { public static bool Invoke(T a, T b) => a < b; }
    public readonly struct LessEqual<T> : ICompareOp<T> where T : unmanaged, INumber<T> { public static bool Invoke(T a, T b) => a <= b; }
    public readonly struct Greater<T> : ICompareOp<T> where T : unmanaged, INumber<T> { public static bool Invoke(T a, T b) => a > b; }
    public readonly struct GreaterEqual<T> : ICompareOp<T> where T : unmanaged, INumber<T> { public static bool Invoke(T a, T b) => a >= b; }
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
        if (!a.Shape.Equals(b.Shape)) throw new ArgumentException($"internal: compare on shapes {a.Shape} and {b.Shape}");
        var y = Tensor.Empty(DType.Bool, a.Shape);
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
}

/// <summary>
/// y = cond ? a : b elementwise over same-shape views (cond Bool; a and b one dtype, any dtype).
/// NaN in the unselected operand never reaches the output.
/// </summary>
internal static class WhereDriver
{
    public static Tensor Run(Tensor cond, Tensor a, Tensor b)
    {
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
        var y = Tensor.Empty(a.DType, a.Shape);
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
