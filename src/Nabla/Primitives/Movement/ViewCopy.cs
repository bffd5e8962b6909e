using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Movement;

/// <summary>
/// The kernel shared by Pad, Concat and in-place writes: copies the elements of one strided view into
/// another strided view of the same shape and dtype (no autodiff). Runs are walked with
/// <see cref="StridedLoop"/> over both operands; unit-stride runs become span copies.
/// NB: the caller guarantees <c>src</c> and <c>dst</c> do not overlap (in-place ops compute into a fresh tensor first).
/// </summary>
internal static class ViewCopy
{
    public static void Copy(Tensor src, Tensor dst)
    {
        if (!src.Shape.Equals(dst.Shape) || src.DType != dst.DType)
            throw new InvalidOperationException($"internal: ViewCopy {Shape.Format(src.Shape.Span)} {src.DType} -> {Shape.Format(dst.Shape.Span)} {dst.DType}");
        if (dst.NumElements == 0) return;
        switch (dst.DType)
        {
            case DType.Float32: Run<float>(src, dst); break;
            case DType.Float64: Run<double>(src, dst); break;
            case DType.Int32: Run<int>(src, dst); break;
            case DType.Int64: Run<long>(src, dst); break;
            case DType.Bool: Run<bool>(src, dst); break;
        }
    }

    static void Run<T>(Tensor src, Tensor dst) where T : unmanaged
    {
        using var raw = Backends.RawAccess.Enter();
        var s = src.Data<T>();
        var d = dst.Data<T>();
        var loop = new StridedLoop(dst.Shape.Span, [src.Strides, dst.Strides], [src.Offset, dst.Offset]);
        int ss = loop.InnerStride(0), ds = loop.InnerStride(1);
        CpuParallel.ForRuns(loop, (offs, n) =>
        {
            if (ss == 1 && ds == 1) s.AsSpan(offs[0], n).CopyTo(d.AsSpan(offs[1], n));
            else for (int i = 0, a = offs[0], b = offs[1]; i < n; i++, a += ss, b += ds) d[b] = s[a];
        });
    }
}
