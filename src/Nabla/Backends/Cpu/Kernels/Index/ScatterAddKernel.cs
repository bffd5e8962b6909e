using Nabla.Primitives.Index;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="ScatterAdd"/> on the CPU: a contiguous copy of the input, then src's window (the index's
/// shape) added at the target offsets in row-major index order on one thread, so repeated indices sum
/// deterministically.
/// </summary>
internal static class ScatterAddKernel
{
    public static Tensor Run(ScatterAdd op, Tensor[] x)
    {
        var y = CopyKernel.Contiguous(x[0]);
        Add(op, x, y);
        return y;
    }

    /// <summary>The same scatter-add written into <paramref name="y"/> (x[0] copied in first; see <see cref="KernelEntry.Into"/>); false when y does not fit.</summary>
    public static bool RunInto(ScatterAdd op, Tensor[] x, Tensor y)
    {
        if (!IntoOutput.Fits(y, x[0].DType, x[0].Shape.Span, x)) return false;
        switch (y.DType)
        {
            case DType.Float32: CopyKernel.CopyView<float>(x[0], y); break;
            case DType.Float64: CopyKernel.CopyView<double>(x[0], y); break;
            case DType.Int32: CopyKernel.CopyView<int>(x[0], y); break;
            case DType.Int64: CopyKernel.CopyView<long>(x[0], y); break;
            default: return false;
        }
        Add(op, x, y);
        return true;
    }

    static void Add(ScatterAdd op, Tensor[] x, Tensor y)
    {
        var (index, src) = (x[1], x[2]);
        var values = IndexOffsets.Values(index);
        var dstOffsets = IndexOffsets.Of(y, op.Dim, index.Shape, values);
        var window = Tensor.Window(src, index.Shape.ToArray());
        switch (y.DType)
        {
            case DType.Float32: Run<float>(window, dstOffsets, y); break;
            case DType.Float64: Run<double>(window, dstOffsets, y); break;
            case DType.Int32: Run<int>(window, dstOffsets, y); break;
            case DType.Int64: Run<long>(window, dstOffsets, y); break;
            default: throw new NotSupportedException($"scatter_add: no kernel for {y.DType.TorchName()}");
        }
    }

    static void Run<T>(Tensor src, int[] dstOffsets, Tensor y) where T : unmanaged, System.Numerics.INumber<T>
    {
        var values = CopyKernel.AsContiguous(src).ContiguousSpan<T>();
        var dst = y.Data<T>();
        for (int i = 0; i < dstOffsets.Length; i++) dst[dstOffsets[i]] += values[i];
    }
}
