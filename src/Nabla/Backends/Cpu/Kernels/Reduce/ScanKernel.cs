using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="CumSum"/>, <see cref="CumProd"/> and <see cref="LogCumSumExp"/> on the CPU: the scanned dim is laid last
/// so each line is one contiguous run, scanned in order with a double accumulator for float32 and float64 (as PyTorch's
/// CPU kernels accumulate float32 in double) and a long one for integers; the result goes back to the input's layout.
/// </summary>
internal static class ScanKernel
{
    public static Tensor Run(Scan op, Tensor x) => x.DType switch
    {
        DType.Float32 => Lines<float>(op, x, static v => v, static v => (float)v),
        DType.Float64 => Lines<double>(op, x, static v => v, static v => v),
        DType.Int32 when op is not LogCumSumExp => Integers<int>(op, x, static v => v, static v => (int)v),
        DType.Int64 when op is not LogCumSumExp => Integers<long>(op, x, static v => v, static v => v),
        _ => throw new NotSupportedException($"{op.Name}: no kernel for {x.DType.TorchName()}"),
    };

    static Tensor Lines<T>(Scan op, Tensor x, Func<T, double> widen, Func<double, T> narrow) where T : unmanaged =>
        Laid<T>(x, op.Dim, (src, dst) =>
        {
            double acc = widen(src[0]);
            dst[0] = narrow(acc);
            for (int i = 1; i < src.Length; i++) dst[i] = narrow(acc = op.Combine(acc, widen(src[i])));
        });

    // Integers wrap on overflow, as PyTorch's (no double on the way: a long sum is exact until it wraps).
    static Tensor Integers<T>(Scan op, Tensor x, Func<T, long> widen, Func<long, T> narrow) where T : unmanaged
    {
        bool sum = op is CumSum;
        return Laid<T>(x, op.Dim, (src, dst) =>
        {
            long acc = widen(src[0]);
            dst[0] = narrow(acc);
            for (int i = 1; i < src.Length; i++) dst[i] = narrow(acc = unchecked(sum ? acc + widen(src[i]) : acc * widen(src[i])));
        });
    }

    delegate void LineScan<T>(ReadOnlySpan<T> src, Span<T> dst);

    /// <summary>Runs <paramref name="scan"/> over every line along <paramref name="dim"/> (in parallel chunks of lines).</summary>
    static Tensor Laid<T>(Tensor x, int dim, LineScan<T> scan) where T : unmanaged
    {
        int rank = x.Rank, n = x.Shape[dim];
        if (x.NumElements == 0 || rank == 0) return CopyKernel.Contiguous(x);   // a 0-d tensor is its own scan
        var laid = LinesAlong.Laid(x, dim);
        var y = CpuTensor.Empty(x.DType, laid.Shape);
        var src = laid.Data<T>();
        var dst = y.Data<T>();
        int lines = y.NumElements / n, offset = laid.Offset;
        CpuParallel.ForRange(lines, (start, count) =>
        {
            for (int r = start; r < start + count; r++) scan(src.AsSpan(offset + r * n, n), dst.AsSpan(r * n, n));
        });
        return LinesAlong.Back(y, x.Shape, dim);
    }
}
