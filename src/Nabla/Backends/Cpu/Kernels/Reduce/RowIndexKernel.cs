using System.Numerics;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>Picks one int64 index per row of a dim (the shared layout of ArgMax and MedianIndex on the CPU).</summary>
internal static class RowIndexKernel
{
    /// <summary>The index a picker chooses in one contiguous row.</summary>
    public delegate long RowPicker<T>(ReadOnlySpan<T> row);

    /// <summary>
    /// Lays <paramref name="dim"/> last so each output element reads one contiguous row, then runs a picker
    /// per row; <paramref name="makePicker"/> is called once per parallel chunk with the row length, so a
    /// picker may own scratch buffers. The result keeps <paramref name="dim"/> as size 1.
    /// </summary>
    public static Tensor Run<T>(Tensor x, int dim, Func<int, RowPicker<T>> makePicker) where T : unmanaged, INumber<T>
    {
        var laid = LinesAlong.Laid(x, dim);

        var outShape = x.Shape.ToArray();
        outShape[dim] = 1;
        var y = CpuTensor.Empty(DType.Int64, new Shape(outShape));
        var src = laid.Data<T>();
        var dst = y.Data<long>();
        int n = x.Shape[dim];
        CpuParallel.ForRange(y.NumElements, (start, count) =>
        {
            var pick = makePicker(n);
            for (int r = start; r < start + count; r++) dst[r] = pick(src.AsSpan(laid.Offset + r * n, n));
        });
        return y;
    }
}
