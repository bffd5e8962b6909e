using System.Numerics;
using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="ArgMax"/> on the CPU: one contiguous row per output element, scanned in order, so ties give
/// the first index and the first NaN wins.
/// </summary>
internal static class ArgMaxKernel
{
    public static Tensor Run(ArgMax op, Tensor x) => x.DType switch
    {
        DType.Float32 => Run<float>(x, op.Dim),
        DType.Float64 => Run<double>(x, op.Dim),
        DType.Int32 => Run<int>(x, op.Dim),
        DType.Int64 => Run<long>(x, op.Dim),
        _ => throw new NotSupportedException($"argmax: no kernel for {x.DType.TorchName()}"),
    };

    static Tensor Run<T>(Tensor x, int dim) where T : unmanaged, INumber<T>
    {
        // Move dim last so each output element reads one contiguous row.
        int rank = x.Rank;
        var shape = new int[rank];
        var strides = new int[rank];
        for (int i = 0, k = 0; i < rank; i++)
        {
            if (i == dim) continue;
            shape[k] = x.Shape[i];
            strides[k++] = x.Strides[i];
        }
        shape[rank - 1] = x.Shape[dim];
        strides[rank - 1] = x.Strides[dim];
        var laid = CopyKernel.AsContiguous(x.View(new Shape(shape), strides, x.Offset));

        var outShape = x.Shape.ToArray();
        outShape[dim] = 1;
        var y = CpuTensor.Empty(DType.Int64, new Shape(outShape));
        var src = laid.Data<T>();
        var dst = y.Data<long>();
        int n = x.Shape[dim];
        CpuParallel.ForRange(y.NumElements, (start, count) =>
        {
            for (int r = start; r < start + count; r++) dst[r] = FirstMax(src.AsSpan(laid.Offset + r * n, n));
        });
        return y;
    }

    static long FirstMax<T>(ReadOnlySpan<T> row) where T : INumber<T>
    {
        int best = 0;
        if (T.IsNaN(row[0])) return 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (T.IsNaN(row[i])) return i;
            if (row[i] > row[best]) best = i;
        }
        return best;
    }
}
