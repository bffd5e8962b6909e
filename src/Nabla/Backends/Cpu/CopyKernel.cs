using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>Materializes any strided view into a new contiguous tensor (and casts between dtypes).</summary>
internal static class CopyKernel
{
    /// <summary>A contiguous copy of <paramref name="x"/> (always new storage).</summary>
    public static Tensor Contiguous(Tensor x) => x.DType switch
    {
        DType.Float32 => Copy<float>(x),
        DType.Float64 => Copy<double>(x),
        DType.Int32 => Copy<int>(x),
        DType.Int64 => Copy<long>(x),
        DType.Bool => Copy<bool>(x),
        _ => throw new ArgumentOutOfRangeException(nameof(x)),
    };

    /// <summary><paramref name="x"/> itself when contiguous, else a contiguous copy.</summary>
    public static Tensor AsContiguous(Tensor x) => x.IsContiguous ? x : Contiguous(x);

    static Tensor Copy<T>(Tensor x) where T : unmanaged
    {
        using var raw = Backends.RawAccess.Enter();
        var y = CpuTensor.Empty(x.DType, x.Shape);
        if (y.NumElements < CpuParallel.Threshold)
        {
            CopyInto<T>(x, y.Data<T>(), 0);
            return y;
        }
        // Large: walk source and destination together, so runs can go to different cores (a layout
        // change such as Conv2d's [O, B, L] -> [B, O, L] moves megabytes).
        CopyView<T>(x, y);
        return y;
    }

    /// <summary>
    /// Copies the elements of the view <paramref name="src"/> into the view <paramref name="dst"/> of the
    /// same shape, walking both with one <see cref="StridedLoop"/> (runs split across cores when large;
    /// unit-stride runs become span copies). The two must not overlap.
    /// </summary>
    public static void CopyView<T>(Tensor src, Tensor dst) where T : unmanaged
    {
        using var raw = Backends.RawAccess.Enter();
        var (s, d) = (src.Data<T>(), dst.Data<T>());
        var loop = new StridedLoop(dst.Shape.Span, [src.Strides, dst.Strides], [src.Offset, dst.Offset]);
        int ss = loop.InnerStride(0), ds = loop.InnerStride(1);
        CpuParallel.ForRuns(loop, (offs, n) =>
        {
            if (ss == 1 && ds == 1) s.AsSpan(offs[0], n).CopyTo(d.AsSpan(offs[1], n));
            else for (int i = 0, a = offs[0], b = offs[1]; i < n; i++, a += ss, b += ds) d[b] = s[a];
        });
    }

    /// <summary>Writes the elements of <paramref name="x"/> row-major into <paramref name="dst"/> at <paramref name="start"/>.</summary>
    public static void CopyInto<T>(Tensor x, T[] dst, int start) where T : unmanaged
    {
        using var raw = Backends.RawAccess.Enter();
        var src = x.Data<T>();
        var loop = new StridedLoop(x.Shape.Span, [x.Strides], [x.Offset]);
        int s = loop.InnerStride(0);
        int pos = start;
        loop.ForEachRun((offs, n) =>
        {
            if (s == 1) src.AsSpan(offs[0], n).CopyTo(dst.AsSpan(pos, n));
            else if (s == 0) dst.AsSpan(pos, n).Fill(src[offs[0]]);
            else for (int i = 0, o = offs[0]; i < n; i++, o += s) dst[pos + i] = src[o];
            pos += n;
        });
    }

    /// <summary>Writes contiguous <paramref name="src"/> into the (possibly strided) view <paramref name="dst"/>.</summary>
    public static void CopyFrom<T>(Tensor dst, ReadOnlySpan<T> src) where T : unmanaged
    {
        using var raw = Backends.RawAccess.Enter();
        var data = dst.Data<T>();
        var loop = new StridedLoop(dst.Shape.Span, [dst.Strides], [dst.Offset]);
        int s = loop.InnerStride(0);
        var buffer = src.ToArray();
        int pos = 0;
        loop.ForEachRun((offs, n) =>
        {
            if (s == 1) buffer.AsSpan(pos, n).CopyTo(data.AsSpan(offs[0], n));
            else for (int i = 0, o = offs[0]; i < n; i++, o += s) data[o] = buffer[pos + i];
            pos += n;
        });
    }

    /// <summary>
    /// Converts the elements of <paramref name="x"/> to <paramref name="dtype"/> with one typed,
    /// vectorised loop per (from, to) pair, reading strided views in place. Float to integer truncates
    /// toward zero and saturates out-of-range values (NaN gives 0); int64 to int32 wraps; to bool is
    /// x != 0 (NaN gives true); bool is 0/1.
    /// </summary>
    public static Tensor Cast(Tensor x, DType dtype)
    {
        using var raw = Backends.RawAccess.Enter();
        var y = CpuTensor.Empty(dtype, x.Shape);
        if (y.NumElements == 0) return y;
        switch (x.DType)
        {
            case DType.Float32: CastFrom<float>(x, y); break;
            case DType.Float64: CastFrom<double>(x, y); break;
            case DType.Int32: CastFrom<int>(x, y); break;
            case DType.Int64: CastFrom<long>(x, y); break;
            case DType.Bool:
                switch (dtype)
                {
                    case DType.Float32: FromBool<float>(x, y); break;
                    case DType.Float64: FromBool<double>(x, y); break;
                    case DType.Int32: FromBool<int>(x, y); break;
                    case DType.Int64: FromBool<long>(x, y); break;
                    case DType.Bool: ElementwiseDriver.Unary<bool, bool>(x, y, (s, d) => s.CopyTo(d)); break;
                    default: throw new ArgumentOutOfRangeException(nameof(dtype));
                }
                break;
            default: throw new ArgumentOutOfRangeException(nameof(x));
        }
        return y;
    }

    static void CastFrom<TFrom>(Tensor x, Tensor y) where TFrom : unmanaged, INumberBase<TFrom>
    {
        switch (y.DType)
        {
            case DType.Float32: Convert<TFrom, float>(x, y); break;
            case DType.Float64: Convert<TFrom, double>(x, y); break;
            case DType.Int32: Convert<TFrom, int>(x, y); break;
            case DType.Int64: Convert<TFrom, long>(x, y); break;
            case DType.Bool:
                ElementwiseDriver.Unary<TFrom, bool>(x, y, (s, d) =>
                {
                    for (int i = 0; i < d.Length; i++) d[i] = s[i] != TFrom.Zero;
                });
                break;
            default: throw new ArgumentOutOfRangeException(nameof(y));
        }
    }

    static void Convert<TFrom, TTo>(Tensor x, Tensor y)
        where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, INumberBase<TTo> =>
        ElementwiseDriver.Unary<TFrom, TTo>(x, y, (s, d) => TensorPrimitives.ConvertTruncating(s, d));

    // A bool is one byte holding 0 or 1, so it converts as a byte.
    static void FromBool<TTo>(Tensor x, Tensor y) where TTo : unmanaged, INumberBase<TTo> =>
        ElementwiseDriver.Unary<bool, TTo>(x, y, (s, d) => TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<bool, byte>(s), d));
}
