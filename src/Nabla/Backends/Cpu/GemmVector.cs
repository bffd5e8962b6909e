using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Matrix-vector shapes, where the packed GEMM would waste most of its register tile and spend as
/// long packing as computing: n = 1 with rows of A contiguous is one dot product per row; m = 1 with
/// rows of B contiguous is a sum of scaled B rows. Both read operands in place, and each output
/// element is accumulated by one thread in a fixed order, so results do not depend on the thread count.
/// </summary>
internal static class GemmVector
{
    const int Piece = 4096;

    /// <summary>Handles the shape and returns true, or returns false for the general kernel.</summary>
    public static bool TryRun<T>(T[] a, int aOff, int rsA, int csA, T[] b, int bOff, int rsB, int csB,
        T[] c, int cOff, int ldc, int m, int k, int n, bool parallel) where T : unmanaged
    {
        if (k == 0) return false;
        if (n == 1 && csA == 1 && m > 1)
        {
            var column = rsB == 1 ? b.AsSpan(bOff, k).ToArray() : Gather(b, bOff, rsB, k);
            For(m, parallel, (i0, count) =>
            {
                for (int i = i0; i < i0 + count; i++)
                    c[cOff + i * ldc] = Dot<T>(a.AsSpan(aOff + i * rsA, k), column);
            });
            return true;
        }
        if (m == 1 && csB == 1)
        {
            var row = csA == 1 ? a.AsSpan(aOff, k).ToArray() : Gather(a, aOff, csA, k);
            For(n, parallel, (j0, count) =>
            {
                var y = c.AsSpan(cOff + j0, count);
                y.Clear();
                for (int p = 0; p < k; p++) Axpy(row[p], b.AsSpan(bOff + p * rsB + j0, count), y);
            });
            return true;
        }
        return false;
    }

    static T[] Gather<T>(T[] src, int offset, int stride, int n)
    {
        var r = new T[n];
        for (int i = 0; i < n; i++) r[i] = src[offset + i * stride];
        return r;
    }

    // Fixed pieces of the output (cache-sized for the m = 1 accumulator), so the split never
    // depends on the thread count.
    static void For(int n, bool parallel, Action<int, int> body)
    {
        int pieces = (n + Piece - 1) / Piece;
        if (!parallel || pieces < 2)
        {
            for (int t = 0; t < pieces; t++) body(t * Piece, Math.Min(Piece, n - t * Piece));
            return;
        }
        CpuWorkers.For(pieces, CpuParallel.Threads - 1, t => body(t * Piece, Math.Min(Piece, n - t * Piece)));
    }

    static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float f = TensorPrimitives.Dot(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
            return Unsafe.As<float, T>(ref f);
        }
        double d = TensorPrimitives.Dot(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(y));
        return Unsafe.As<double, T>(ref d);
    }

    static void Axpy<T>(T alpha, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var yf = MemoryMarshal.Cast<T, float>(y);
            TensorPrimitives.FusedMultiplyAdd(MemoryMarshal.Cast<T, float>(x), Unsafe.As<T, float>(ref alpha), yf, yf);
        }
        else
        {
            var yd = MemoryMarshal.Cast<T, double>(y);
            TensorPrimitives.FusedMultiplyAdd(MemoryMarshal.Cast<T, double>(x), Unsafe.As<T, double>(ref alpha), yd, yd);
        }
    }
}
