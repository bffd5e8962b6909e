using System.Numerics;
using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="ArgMax"/> and <see cref="ArgMin"/> on the CPU: one contiguous row per output element, scanned in order, so ties give
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

    public static Tensor Run(ArgMin op, Tensor x) => x.DType switch
    {
        DType.Float32 => RowIndexKernel.Run<float>(x, op.Dim, _ => row => FirstMin(row)),
        DType.Float64 => RowIndexKernel.Run<double>(x, op.Dim, _ => row => FirstMin(row)),
        DType.Int32 => RowIndexKernel.Run<int>(x, op.Dim, _ => row => FirstMin(row)),
        DType.Int64 => RowIndexKernel.Run<long>(x, op.Dim, _ => row => FirstMin(row)),
        _ => throw new NotSupportedException($"argmin: no kernel for {x.DType.TorchName()}"),
    };

    static long FirstMin<T>(ReadOnlySpan<T> row) where T : INumber<T>
    {
        int best = 0;
        if (T.IsNaN(row[0])) return 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (T.IsNaN(row[i])) return i;
            if (row[i] < row[best]) best = i;
        }
        return best;
    }

    static Tensor Run<T>(Tensor x, int dim) where T : unmanaged, INumber<T> =>
        RowIndexKernel.Run<T>(x, dim, _ => row => FirstMax(row));

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
