using System.Numerics;
using Nabla.Primitives.Index;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="Scatter"/> and <see cref="ScatterReduce"/> on the CPU: a contiguous copy of the input, then src's window
/// (the index's shape) written or combined at the target offsets in row-major index order on one thread, so repeated
/// targets give the same result on every run (the last write wins for a plain scatter).
/// </summary>
internal static class ScatterKernels
{
    public static Tensor RunScatter(Scatter op, Tensor[] x)
    {
        var (y, offsets, window) = Prepare(x, op.Dim);
        switch (y.DType)
        {
            case DType.Float32: Write<float>(window, offsets, y); break;
            case DType.Float64: Write<double>(window, offsets, y); break;
            case DType.Int32: Write<int>(window, offsets, y); break;
            case DType.Int64: Write<long>(window, offsets, y); break;
            case DType.Bool: Write<bool>(window, offsets, y); break;
            default: throw new NotSupportedException($"scatter: no kernel for {y.DType.TorchName()}");
        }
        return y;
    }

    public static Tensor RunReduce(ScatterReduce op, Tensor[] x)
    {
        var (y, offsets, window) = Prepare(x, op.Dim);
        switch (y.DType)
        {
            case DType.Float32: Reduce<float>(op, window, offsets, y); break;
            case DType.Float64: Reduce<double>(op, window, offsets, y); break;
            case DType.Int32: Reduce<int>(op, window, offsets, y); break;
            case DType.Int64: Reduce<long>(op, window, offsets, y); break;
            default: throw new NotSupportedException($"scatter_reduce: no kernel for {y.DType.TorchName()}");
        }
        return y;
    }

    /// <summary>A fresh contiguous copy of the input, the target offset of each index element, and src's window.</summary>
    static (Tensor Y, int[] Offsets, Tensor Window) Prepare(Tensor[] x, int dim)
    {
        var (index, src) = (x[1], x[2]);
        var y = CopyKernel.Contiguous(x[0]);
        var offsets = IndexOffsets.Of(y, dim, index.Shape, IndexOffsets.Values(index));
        return (y, offsets, CopyKernel.AsContiguous(Tensor.Window(src, index.Shape.ToArray())));
    }

    static void Write<T>(Tensor window, int[] offsets, Tensor y) where T : unmanaged
    {
        var values = window.ContiguousSpan<T>();
        var dst = y.Data<T>();
        for (int i = 0; i < offsets.Length; i++) dst[offsets[i]] = values[i];
    }

    static void Reduce<T>(ScatterReduce op, Tensor window, int[] offsets, Tensor y) where T : unmanaged, INumber<T>
    {
        var values = window.ContiguousSpan<T>();
        var dst = y.Data<T>();
        // Without includeSelf, the first value to reach a place replaces x's; later ones combine with it.
        var touched = op.IncludeSelf ? null : new bool[y.NumElements];
        for (int i = 0; i < offsets.Length; i++)
        {
            int t = offsets[i];
            if (touched is not null && !touched[t])
            {
                dst[t] = values[i];
                touched[t] = true;
            }
            else dst[t] = Combine(op.Combine, dst[t], values[i]);
        }
    }

    static T Combine<T>(ScatterReduce.Combining how, T a, T b) where T : INumber<T>
    {
        if (how == ScatterReduce.Combining.Prod) return a * b;
        if (T.IsNaN(a)) return a;
        if (T.IsNaN(b)) return b;
        return how == ScatterReduce.Combining.Max ? (b > a ? b : a) : (b < a ? b : a);
    }
}
