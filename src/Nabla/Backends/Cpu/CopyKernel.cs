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
        var y = Tensor.Empty(x.DType, x.Shape);
        CopyInto<T>(x, y.Data<T>(), 0);
        return y;
    }

    /// <summary>Writes the elements of <paramref name="x"/> row-major into <paramref name="dst"/> at <paramref name="start"/>.</summary>
    public static void CopyInto<T>(Tensor x, T[] dst, int start) where T : unmanaged
    {
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

    /// <summary>Converts the elements of <paramref name="x"/> to <paramref name="dtype"/> (C# casts; bool is 0/1).</summary>
    public static Tensor Cast(Tensor x, DType dtype)
    {
        var c = AsContiguous(x);
        var y = Tensor.Empty(dtype, x.Shape);
        int n = x.NumElements;
        var src = c.Storage.Array;
        var dst = y.Storage.Array;
        int o = c.Offset;
        switch (dtype)
        {
            case DType.Float32: { var d = (float[])dst; for (int i = 0; i < n; i++) d[i] = (float)Read(src, o + i); break; }
            case DType.Float64: { var d = (double[])dst; for (int i = 0; i < n; i++) d[i] = Read(src, o + i); break; }
            case DType.Int32: { var d = (int[])dst; for (int i = 0; i < n; i++) d[i] = ReadInt(src, o + i) is var v ? (int)v : 0; break; }
            case DType.Int64: { var d = (long[])dst; for (int i = 0; i < n; i++) d[i] = ReadInt(src, o + i); break; }
            case DType.Bool: { var d = (bool[])dst; for (int i = 0; i < n; i++) d[i] = Read(src, o + i) != 0; break; }
        }
        return y;
    }

    // Exact for every source type except int64 above 2^53 (which goes through ReadInt instead).
    static double Read(Array a, int i) => a switch
    {
        float[] f => f[i],
        double[] d => d[i],
        int[] n => n[i],
        long[] l => l[i],
        bool[] b => b[i] ? 1 : 0,
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    // Float to integer truncates toward zero, as C# and PyTorch do.
    static long ReadInt(Array a, int i) => a switch
    {
        long[] l => l[i],
        int[] n => n[i],
        _ => (long)Read(a, i),
    };
}
