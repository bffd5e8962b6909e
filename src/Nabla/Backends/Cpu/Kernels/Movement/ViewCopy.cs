namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// The copy shared by the Flip, Pad and Concat kernels: copies the elements of one strided view into
/// another strided view of the same shape and dtype (no autodiff), checked here and run by
/// <see cref="CopyKernel.CopyView{T}"/>.
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
            case DType.Float32: CopyKernel.CopyView<float>(src, dst); break;
            case DType.Float64: CopyKernel.CopyView<double>(src, dst); break;
            case DType.Int32: CopyKernel.CopyView<int>(src, dst); break;
            case DType.Int64: CopyKernel.CopyView<long>(src, dst); break;
            case DType.Bool: CopyKernel.CopyView<bool>(src, dst); break;
        }
    }
}
