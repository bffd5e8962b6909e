namespace Nabla.Backends.Cpu;

/// <summary>A 1-D map between element types over a contiguous run (casts).</summary>
internal delegate void SpanConvert<TIn, TOut>(ReadOnlySpan<TIn> x, Span<TOut> y);

/// <summary>A 1-D binary kernel; strides are 1 (a run) or 0 (a broadcast scalar).</summary>
internal delegate void BinaryRun<T>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, Span<T> y);

/// <summary>
/// Runs 1-D kernels over strided, broadcast or aliased views without materialising them: the
/// iteration space is walked as contiguous runs (<see cref="StridedLoop"/>); a run that is neither
/// contiguous nor a broadcast scalar is gathered into a per-thread scratch buffer first, so memory
/// stays bounded by one run, not the whole tensor. Outputs are fresh contiguous tensors.
/// </summary>
internal static class ElementwiseDriver
{
    /// <summary>y = f(x) where y is contiguous with x's shape.</summary>
    public static void Unary<T>(Tensor x, Tensor y, SpanMap<T> kernel) where T : unmanaged
    {
        if (OneSmallRun(x, y))
        {
            using var raw = Backends.RawAccess.Enter();
            kernel(x.Data<T>().AsSpan(x.Offset, y.NumElements), y.Data<T>().AsSpan(y.Offset, y.NumElements));
            return;
        }
        Strided(x, y, kernel);
    }

    // NB: apart from the one-run path, so that its closure (made on entry to the method that captures) costs
    // the one-run path no allocation.
    static void Strided<T>(Tensor x, Tensor y, SpanMap<T> kernel) where T : unmanaged => Unary<T, T>(x, y, (s, d) => kernel(s, d));

    /// <summary>
    /// Whether <paramref name="y"/> and every operand are one contiguous run of the same shape, too short to
    /// split across threads: the kernel then runs on the spans directly. Small tensors are where the strided
    /// walk's set-up (loop arrays, closure) cost more than the arithmetic; the result is the same run the
    /// walk would have made.
    /// </summary>
    static bool OneSmallRun(Tensor x, Tensor y) =>
        y.NumElements is > 0 and < CpuParallel.Threshold && y.IsContiguous && x.IsContiguous && x.Shape.Equals(y.Shape);   // NB: an empty view's offset may lie past its storage

    /// <summary>y = f(x) with a different output element type (casts).</summary>
    public static void Unary<TIn, TOut>(Tensor x, Tensor y, SpanConvert<TIn, TOut> kernel)
        where TIn : unmanaged where TOut : unmanaged
    {
        using var raw = Backends.RawAccess.Enter();
        var loop = new StridedLoop(y.Shape.Span, [x.Strides, y.Strides], [x.Offset, y.Offset]);
        int s = loop.InnerStride(0);
        var xd = x.Data<TIn>();
        var yd = y.Data<TOut>();
        CpuParallel.ForRuns(loop, (offs, n) =>
        {
            var dst = yd.AsSpan(offs[1], n);
            if (s == 1) { kernel(xd.AsSpan(offs[0], n), dst); return; }
            var tmp = Scratch<TIn>.Get(n, 0);
            Gather(xd, offs[0], s, tmp);
            kernel(tmp, dst);
        });
    }

    /// <summary>y = f(a, b) over same-shape views (possibly expanded, strided, or the same tensor).</summary>
    public static void Binary<T>(Tensor a, Tensor b, Tensor y, BinaryRun<T> kernel) where T : unmanaged
    {
        using var raw = Backends.RawAccess.Enter();
        if (OneSmallRun(a, y) && OneSmallRun(b, y))
        {
            int count = y.NumElements;
            kernel(a.Data<T>().AsSpan(a.Offset, count), 1, b.Data<T>().AsSpan(b.Offset, count), 1, y.Data<T>().AsSpan(y.Offset, count));
            return;
        }
        Strided(a, b, y, kernel);
    }

    /// <summary><see cref="Binary"/> walking the runs (apart, as the unary one).</summary>
    static void Strided<T>(Tensor a, Tensor b, Tensor y, BinaryRun<T> kernel) where T : unmanaged
    {
        var loop = new StridedLoop(y.Shape.Span, [a.Strides, b.Strides, y.Strides], [a.Offset, b.Offset, y.Offset]);
        int sa = loop.InnerStride(0), sb = loop.InnerStride(1);
        var ad = a.Data<T>();
        var bd = b.Data<T>();
        var yd = y.Data<T>();
        CpuParallel.ForRuns(loop, (offs, n) =>
        {
            ReadOnlySpan<T> ra = sa == 0 ? ad.AsSpan(offs[0], 1) : sa == 1 ? ad.AsSpan(offs[0], n) : Gathered(ad, offs[0], sa, n, 0);
            ReadOnlySpan<T> rb = sb == 0 ? bd.AsSpan(offs[1], 1) : sb == 1 ? bd.AsSpan(offs[1], n) : Gathered(bd, offs[1], sb, n, 1);
            kernel(ra, sa == 0 ? 0 : 1, rb, sb == 0 ? 0 : 1, yd.AsSpan(offs[2], n));
        });
    }

    static Span<T> Gathered<T>(T[] src, int offset, int stride, int n, int slot) where T : unmanaged
    {
        var tmp = Scratch<T>.Get(n, slot);
        Gather(src, offset, stride, tmp);
        return tmp;
    }

    /// <summary>dst[i] = src[offset + i*stride] (stride may be 0 or negative).</summary>
    public static void Gather<T>(T[] src, int offset, int stride, Span<T> dst)
    {
        if (stride == 0) { dst.Fill(src[offset]); return; }
        for (int i = 0, o = offset; i < dst.Length; i++, o += stride) dst[i] = src[o];
    }
}

/// <summary>Per-thread scratch runs (two slots, for two operands), grown on demand and reused.</summary>
internal static class Scratch<T> where T : unmanaged
{
    [ThreadStatic] static T[]? slot0;
    [ThreadStatic] static T[]? slot1;

    public static Span<T> Get(int n, int slot)
    {
        ref var buffer = ref slot == 0 ? ref slot0 : ref slot1;
        if (buffer is null || buffer.Length < n) buffer = new T[Math.Max(n, 256)];
        return buffer.AsSpan(0, n);
    }
}
