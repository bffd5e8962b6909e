using System.Numerics;
using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="MedianIndex"/> on the CPU: one contiguous row per output element; the first NaN if the row
/// has one, else the element of rank ⌊(n - 1)/2⌋ with equal values ranked by position.
/// </summary>
internal static class MedianIndexKernel
{
    public static Tensor Run(MedianIndex op, Tensor x) => x.DType switch
    {
        DType.Float32 => Run<float>(x, op.Dim),
        DType.Float64 => Run<double>(x, op.Dim),
        DType.Int32 => Run<int>(x, op.Dim),
        DType.Int64 => Run<long>(x, op.Dim),
        _ => throw new NotSupportedException($"median: no kernel for {x.DType.TorchName()}"),
    };

    static Tensor Run<T>(Tensor x, int dim) where T : unmanaged, INumber<T> =>
        RowIndexKernel.Run<T>(x, dim, n =>
        {
            var values = new T[n];
            var order = new int[n];
            return row => Select(row, values, order);
        });

    static int Select<T>(ReadOnlySpan<T> row, T[] values, int[] order) where T : INumber<T>
    {
        for (int i = 0; i < row.Length; i++)
        {
            if (T.IsNaN(row[i])) return i;
            values[i] = row[i];
            order[i] = i;
        }
        // Sorting (value, position) keys gives a strict order, so the unstable sort is deterministic.
        Array.Sort(order, (a, b) => values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : a.CompareTo(b));
        return order[(row.Length - 1) / 2];
    }
}
