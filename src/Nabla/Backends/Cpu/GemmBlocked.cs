using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// One matrix product C = A·B in the BLIS loop order: NC columns of B, then KC-deep slices
/// (B slice packed once and shared by all threads), then MC rows of A (packed per task), then the
/// NR x MR register tiles. Blocking is fixed by the element type, never by the thread count, and
/// each C tile is owned by one task, so every output element sees the same k order on any
/// number of threads: the first KC block stores, later blocks add.
/// </summary>
internal static class GemmBlocked<T, TV, TOps>
    where T : unmanaged where TV : struct where TOps : IGemmVector<T, TV>
{
    const int MR = GemmMicroKernel<T, TV, TOps>.MR;

    // KC x NR of B (one sliver) stays in L1 while the A block (MC x KC) streams from L2;
    // the packed B slice (KC x NC) lives in L2/L3.
    static int KC => Unsafe.SizeOf<T>() == 4 ? 384 : 256;
    const int MC = 120;
    static int NC => Unsafe.SizeOf<T>() == 4 ? 2048 : 1024;

    public static void Run(T[] a, int aOff, int rsA, int csA, T[] b, int bOff, int rsB, int csB,
        T[] c, int cOff, int ldc, int m, int k, int n, bool parallel)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            for (int i = 0; i < m; i++) c.AsSpan(cOff + i * ldc, n).Clear();
            return;
        }
        int nr = GemmMicroKernel<T, TV, TOps>.NR;
        int kcMax = Math.Min(KC, k);
        int ncMax = Math.Min(NC, n);
        int slivers = (ncMax + nr - 1) / nr;
        var bufB = GemmBuffers<T>.TakeB(kcMax * slivers * nr, out int startB);
        try
        {
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    PackBSlice(b, bOff + pc * rsB + jc * csB, rsB, csB, kc, nc, nr, bufB, startB, parallel);
                    Macro(a, aOff + pc * csA, rsA, csA, bufB, startB, c, cOff + jc, ldc, m, kc, nc, pc > 0, parallel);
                }
            }
        }
        finally
        {
            GemmBuffers<T>.ReturnB(bufB);
        }
    }

    static void PackBSlice(T[] b, int off, int rs, int cs, int kc, int nc, int nr, T[] buf, int start, bool parallel)
    {
        int slivers = (nc + nr - 1) / nr;
        var dst = buf.AsSpan(start);
        if (!parallel || slivers < 2 * CpuParallel.Threads)
        {
            GemmPack.PackB(b, off, rs, cs, kc, nc, nr, dst, 0, slivers);
            return;
        }
        int parts = CpuParallel.Threads;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = CpuParallel.Threads }, t =>
            GemmPack.PackB(b, off, rs, cs, kc, nc, nr, buf.AsSpan(start), t * slivers / parts, (t + 1) * slivers / parts));
    }

    // All row blocks of one packed KC x nc slice of B. Tasks are (row block, column range) pairs so
    // short-and-wide products still split across threads.
    static void Macro(T[] a, int aOff, int rsA, int csA, T[] bufB, int startB, T[] c, int cOff, int ldc,
        int m, int kc, int nc, bool accumulate, bool parallel)
    {
        int nr = GemmMicroKernel<T, TV, TOps>.NR;
        int slivers = (nc + nr - 1) / nr;
        int rowBlocks = (m + MC - 1) / MC;
        int colParts = 1;
        if (parallel && rowBlocks < 2 * CpuParallel.Threads)
            colParts = Math.Min(slivers, (2 * CpuParallel.Threads + rowBlocks - 1) / rowBlocks);
        int tasks = rowBlocks * colParts;

        void Task(int t)
        {
            int ib = t / colParts, part = t % colParts;
            int ic = ib * MC, mc = Math.Min(MC, m - ic);
            int s0 = part * slivers / colParts, s1 = (part + 1) * slivers / colParts;
            if (s0 == s1) return;
            int aLen = ((mc + MR - 1) / MR) * MR * kc;
            var bufA = GemmBuffers<T>.TakeA(aLen, out int startA);
            try
            {
                GemmPack.PackA(a, aOff + ic * rsA, rsA, csA, mc, kc, MR, bufA.AsSpan(startA, aLen));
                Tiles(bufA, startA, bufB, startB, c, cOff + ic * ldc, ldc, mc, kc, nc, s0, s1, accumulate);
            }
            finally
            {
                GemmBuffers<T>.ReturnA(bufA);
            }
        }

        if (!parallel || tasks < 2)
            for (int t = 0; t < tasks; t++) Task(t);
        else
            Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = CpuParallel.Threads }, Task);
    }

    static void Tiles(T[] bufA, int startA, T[] bufB, int startB, T[] c, int cOff, int ldc,
        int mc, int kc, int nc, int s0, int s1, bool accumulate)
    {
        int nr = GemmMicroKernel<T, TV, TOps>.NR;
        Span<T> edge = stackalloc T[MR * nr];
        ref T edgeRef = ref MemoryMarshal.GetReference(edge);
        ref T aRef = ref MemoryMarshal.GetArrayDataReference(bufA);
        ref T bRef = ref MemoryMarshal.GetArrayDataReference(bufB);
        ref T cRef = ref MemoryMarshal.GetArrayDataReference(c);
        for (int s = s0; s < s1; s++)
        {
            int j0 = s * nr, cols = Math.Min(nr, nc - j0);
            ref T bp = ref Unsafe.Add(ref bRef, startB + (nint)s * kc * nr);
            for (int i0 = 0; i0 < mc; i0 += MR)
            {
                int rows = Math.Min(MR, mc - i0);
                ref T ap = ref Unsafe.Add(ref aRef, startA + (nint)i0 * kc);
                ref T ct = ref Unsafe.Add(ref cRef, cOff + (nint)i0 * ldc + j0);
                if (rows == MR && cols == nr)
                {
                    GemmMicroKernel<T, TV, TOps>.Run(ref ap, ref bp, kc, ref ct, ldc, accumulate);
                    continue;
                }
                // Edge tile: compute the full padded tile aside, then write only the valid part
                // with the same store-or-add arithmetic as a full tile.
                GemmMicroKernel<T, TV, TOps>.Run(ref ap, ref bp, kc, ref edgeRef, nr, false);
                for (int r = 0; r < rows; r++)
                {
                    var src = edge.Slice(r * nr, cols);
                    var dst = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref ct, (nint)r * ldc), cols);
                    if (accumulate) AddInto(src, dst);
                    else src.CopyTo(dst);
                }
            }
        }
    }

    static void AddInto(ReadOnlySpan<T> src, Span<T> dst)
    {
        if (typeof(T) == typeof(float))
        {
            var s = MemoryMarshal.Cast<T, float>(src);
            var d = MemoryMarshal.Cast<T, float>(dst);
            for (int i = 0; i < d.Length; i++) d[i] += s[i];
        }
        else if (typeof(T) == typeof(double))
        {
            var s = MemoryMarshal.Cast<T, double>(src);
            var d = MemoryMarshal.Cast<T, double>(dst);
            for (int i = 0; i < d.Length; i++) d[i] += s[i];
        }
        else throw new NotSupportedException($"internal: blocked GEMM on {typeof(T).Name}");
    }
}
