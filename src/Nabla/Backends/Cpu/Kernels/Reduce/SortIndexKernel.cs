using System.Numerics;
using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="SortIndex"/> on the CPU: the sorted dim laid last, each line's positions sorted by (value, position) with
/// NaN largest, so the sort is stable whatever the algorithm (an introsort per line); lines run in parallel chunks.
/// </summary>
internal static class SortIndexKernel
{
    public static Tensor Run(SortIndex op, Tensor x) => x.DType switch
    {
        DType.Float32 => Run<float>(x, op.Dim, op.Descending),
        DType.Float64 => Run<double>(x, op.Dim, op.Descending),
        DType.Int32 => Run<int>(x, op.Dim, op.Descending),
        DType.Int64 => Run<long>(x, op.Dim, op.Descending),
        _ => throw new NotSupportedException($"sort: no kernel for {x.DType.TorchName()}"),
    };

    static Tensor Run<T>(Tensor x, int dim, bool descending) where T : unmanaged, INumber<T>
    {
        int n = x.Shape[dim];
        if (x.NumElements == 0) return CpuTensor.Empty(DType.Int64, x.Shape);
        var laid = LinesAlong.Laid(x, dim);
        var src = laid.Data<T>();
        var laidOut = CpuTensor.Empty(DType.Int64, laid.Shape);
        var dst = laidOut.Data<long>();
        int lines = laid.NumElements / n, offset = laid.Offset;
        CpuParallel.ForRange(lines, (start, count) =>
        {
            var positions = new int[n];
            var values = new T[n];
            Comparison<int> byValueThenPosition = (a, b) =>
            {
                int c = Compare(values[a], values[b]);
                return c != 0 ? (descending ? -c : c) : a.CompareTo(b);
            };
            for (int r = start; r < start + count; r++)
            {
                src.AsSpan(offset + r * n, n).CopyTo(values);
                for (int i = 0; i < n; i++) positions[i] = i;
                Array.Sort(positions, byValueThenPosition);
                for (int i = 0; i < n; i++) dst[r * n + i] = positions[i];
            }
        });
        return LinesAlong.Back(laidOut, x.Shape, dim);
    }

    static int Compare<T>(T a, T b) where T : INumber<T> =>
        T.IsNaN(a) ? (T.IsNaN(b) ? 0 : 1) : T.IsNaN(b) ? -1 : a < b ? -1 : a > b ? 1 : 0;
}
