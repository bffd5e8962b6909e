using System.Numerics;

namespace Nabla.Backends.Cpu;

/// <summary>A 1-D reduction over a contiguous row.</summary>
internal delegate T RowReduce<T>(ReadOnlySpan<T> row);

/// <summary>
/// Reductions over a set of axes: the input is laid out with the kept axes first and the reduced
/// axes last (one contiguous row per output element), then each row is reduced by one thread in a
/// fixed order, so the result does not depend on the thread count. The output keeps reduced axes as size 1.
/// </summary>
internal static partial class ReduceDriver
{
    public static Tensor Run<T>(Tensor x, int[] axes, RowReduce<T> reduce) where T : unmanaged, INumber<T>
    {
        using var raw = Backends.RawAccess.Enter();
        int rank = x.Rank;
        var isReduced = new bool[rank];
        foreach (var a in axes) isReduced[a] = true;
        var order = new int[rank];
        int k = 0;
        for (int d = 0; d < rank; d++) if (!isReduced[d]) order[k++] = d;
        for (int d = 0; d < rank; d++) if (isReduced[d]) order[k++] = d;

        var outShape = new int[rank];
        int rowLength = 1;
        for (int d = 0; d < rank; d++)
        {
            outShape[d] = isReduced[d] ? 1 : x.Shape[d];
            if (isReduced[d]) rowLength *= x.Shape[d];
        }

        var permShape = new int[rank];
        var permStrides = new int[rank];
        for (int i = 0; i < rank; i++) { permShape[i] = x.Shape[order[i]]; permStrides[i] = x.Strides[order[i]]; }
        var laid = CopyKernel.AsContiguous(x.View(new Shape(permShape), permStrides, x.Offset));

        var y = CpuTensor.Empty(x.DType, new Shape(outShape));
        var src = laid.Data<T>();
        var dst = y.Data<T>();
        int rows = y.NumElements;
        int offset = laid.Offset;
        if (rowLength == 0)
        {
            dst.AsSpan(0, rows).Fill(reduce(ReadOnlySpan<T>.Empty));
            return y;
        }
        if ((long)rows * rowLength < CpuParallel.Threshold || rows < 2)
        {
            for (int r = 0; r < rows; r++) dst[r] = reduce(src.AsSpan(offset + r * rowLength, rowLength));
        }
        else
        {
            Parallel.For(0, Math.Min(CpuParallel.Threads, rows), c =>
            {
                int chunks = Math.Min(CpuParallel.Threads, rows);
                int size = (rows + chunks - 1) / chunks;
                for (int r = c * size; r < Math.Min(rows, (c + 1) * size); r++)
                    dst[r] = reduce(src.AsSpan(offset + r * rowLength, rowLength));
            });
        }
        return y;
    }
}
