using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Where one operand of a batched matrix product lives in its array: element (b, i, j) is at
/// <c>Offset + b*BatchStride + i*RowStride + j*ColStride</c>. Any strides work (a transposed view
/// has RowStride 1; an expanded batch has BatchStride 0), so callers never materialise views.
/// </summary>
internal readonly record struct GemmOperand(int Offset, int RowStride, int ColStride, int BatchStride)
{
    /// <summary>A contiguous row-major [batch, rows, cols] block starting at <paramref name="offset"/>.</summary>
    public static GemmOperand RowMajor(int offset, int rows, int cols) => new(offset, cols, 1, rows * cols);
}

/// <summary>
/// Batched matrix multiply C[b] = A[b] · B[b]. float32/float64 use the packed, cache-blocked GEMM
/// (<see cref="GemmBlocked{T, TV, TOps}"/>) with the widest accelerated vector width; integers use a
/// plain loop. Work is split across batches or across tiles of one product; either way each output
/// element is computed by one thread in a fixed k order, so results do not depend on the thread count.
/// Products with a small output and a long k (<see cref="GemmSplitKRule"/>, chosen from the shape
/// alone) are split over fixed chunks of k instead, summed in chunk order (<see cref="GemmSplitK"/>).
/// k = 0 gives zeros.
/// </summary>
internal static class Gemm
{
    /// <summary>Below this many multiply-adds one thread does the whole product.</summary>
    public const long ParallelThreshold = 1 << 18;

    /// <summary>Tests set 256 or 128 to exercise the narrower kernels; 0 picks the widest accelerated width.</summary>
    internal static int ForceVectorBits { get; set; }

    /// <summary>Contiguous row-major operands: A [batch, m, k] at aOffset, B [batch, k, n] at bOffset, C [batch, m, n] at 0.</summary>
    public static void Run<T>(T[] a, int aOffset, T[] b, int bOffset, T[] c, int batch, int m, int k, int n)
        where T : unmanaged, INumber<T> =>
        Run(a, GemmOperand.RowMajor(aOffset, m, k), b, GemmOperand.RowMajor(bOffset, k, n),
            c, GemmOperand.RowMajor(0, m, n), batch, m, k, n);

    /// <summary>General strides for A and B; C must have unit column stride (its rows may be spaced).</summary>
    /// <remarks>
    /// An <paramref name="epilogue"/> (one product only, C rows contiguous) runs on C's rows once their sum is complete.
    /// </remarks>
    public static void Run<T>(T[] a, GemmOperand ga, T[] b, GemmOperand gb, T[] c, GemmOperand gc,
        int batch, int m, int k, int n, GemmEpilogue<T>? epilogue = null) where T : unmanaged, INumber<T>
    {
        if (gc.ColStride != 1) throw new ArgumentException("internal: GEMM output needs unit column stride");
        if (epilogue is not null && (batch != 1 || gc.RowStride != n)) throw new ArgumentException("internal: a GEMM epilogue needs one product with contiguous rows");
        if (batch == 0 || m == 0 || n == 0) return;
        long macs = (long)m * n * Math.Max(k, 1);
        bool parallel = CpuParallel.Threads > 1 && macs * batch >= ParallelThreshold;
        bool acrossBatches = parallel && batch > 1 && (batch >= 4 * CpuParallel.Threads || macs < 1 << 22);

        void One(int bi, bool inner) => Single(a, ga.Offset + bi * ga.BatchStride, ga.RowStride, ga.ColStride,
            b, gb.Offset + bi * gb.BatchStride, gb.RowStride, gb.ColStride,
            c, gc.Offset + bi * gc.BatchStride, gc.RowStride, m, k, n, inner, epilogue);

        if (acrossBatches)
            CpuWorkers.For(batch, CpuParallel.Threads - 1, bi => One(bi, false));
        else
            for (int bi = 0; bi < batch; bi++) One(bi, parallel && macs >= ParallelThreshold);
    }

    static void Single<T>(T[] a, int aOff, int rsA, int csA, T[] b, int bOff, int rsB, int csB,
        T[] c, int cOff, int ldc, int m, int k, int n, bool parallel, GemmEpilogue<T>? epilogue) where T : unmanaged, INumber<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            Naive(a, aOff, rsA, csA, b, bOff, rsB, csB, c, cOff, ldc, m, k, n);
            epilogue?.Apply(c, cOff, 0, m, n);
            return;
        }
        if (GemmVector.TryRun(a, aOff, rsA, csA, b, bOff, rsB, csB, c, cOff, ldc, m, k, n, parallel))
        {
            epilogue?.Apply(c, cOff, 0, m, n);
            return;
        }
        int bits = ForceVectorBits;
        if (bits == 0) bits = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;
        int chunk = GemmSplitKRule.ChunkLength(m, k, n);
        if (chunk > 0)
        {
            GemmSplitK.Run(a, aOff, rsA, csA, b, bOff, rsB, csB, c, cOff, ldc, m, k, n, chunk, bits, parallel);
            epilogue?.Apply(c, cOff, 0, m, n);
            return;
        }
        if (bits == 512)
            GemmBlocked<T, Vector512<T>, GemmVec512<T>>.Run(a, aOff, rsA, csA, b, bOff, rsB, csB, c, cOff, ldc, m, k, n, parallel, epilogue);
        else if (bits == 256)
            GemmBlocked<T, Vector256<T>, GemmVec256<T>>.Run(a, aOff, rsA, csA, b, bOff, rsB, csB, c, cOff, ldc, m, k, n, parallel, epilogue);
        else
            GemmBlocked<T, Vector128<T>, GemmVec128<T>>.Run(a, aOff, rsA, csA, b, bOff, rsB, csB, c, cOff, ldc, m, k, n, parallel, epilogue);
    }

    // Integers: exact arithmetic (wrapping like C#/PyTorch), so a plain loop in k order is enough.
    static void Naive<T>(T[] a, int aOff, int rsA, int csA, T[] b, int bOff, int rsB, int csB,
        T[] c, int cOff, int ldc, int m, int k, int n) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.AsSpan(cOff + i * ldc, n);
            row.Clear();
            for (int p = 0; p < k; p++)
            {
                T aip = a[aOff + i * rsA + p * csA];
                if (aip == T.Zero) continue;
                int o = bOff + p * rsB;
                for (int j = 0; j < n; j++, o += csB) row[j] += aip * b[o];
            }
        }
    }
}
