using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// One matrix product C = A·B in the BLIS loop order: NC columns of B, then KC-deep slices (each B
/// slice packed once, cooperatively, and shared by all threads), then row units of A (packed by the
/// thread that computes the unit), then the NR x MR register tiles. Only the k blocking decides the
/// arithmetic (equal blocks of at most KC, chosen from k alone): every output element is the first
/// block's tile sum stored, then each later block's tile sum
/// added, in increasing k. Row units, column parts and which thread runs what change nothing, so the
/// bits never depend on the thread count.
/// <para>
/// Threads run <see cref="GemmJob{T, TV, TOps}.Work"/> on the persistent team
/// (<see cref="CpuWorkers"/>) and claim work with atomic counters, block after block, without a
/// barrier per block: the B slice alternates between two buffers, so packing block i waits only for
/// the compute of block i - 2, and a unit of block i waits only for the same unit of block i - 1
/// (same C rows). A late thread just finds less to claim.
/// </para>
/// </summary>
internal static class GemmBlocked<T, TV, TOps>
    where T : unmanaged where TV : struct where TOps : IGemmVector<T, TV>
{
    public const int MR = GemmMicroKernel<T, TV, TOps>.MR;

    // KC x NR of B (one sliver) streams from L1/L2 against an A unit (at most MC x KC) kept in L2;
    // the packed B slice (KC x NC) lives in L2/L3.
    public static int KC => Unsafe.SizeOf<T>() == 4 ? 384 : 256;
    public const int MCTiles = 20;
    public static int NC => Unsafe.SizeOf<T>() == 4 ? 2048 : 1024;

    [ThreadStatic] static GemmJob<T, TV, TOps>? cachedJob;

    public static void Run(T[] a, int aOff, int rsA, int csA, T[] b, int bOff, int rsB, int csB,
        T[] c, int cOff, int ldc, int m, int k, int n, bool parallel, GemmEpilogue<T>? epilogue = null)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            for (int i = 0; i < m; i++) c.AsSpan(cOff + i * ldc, n).Clear();
            epilogue?.Apply(c, cOff, 0, m, n);
            return;
        }
        int parties = parallel ? Math.Max(1, CpuParallel.Threads) : 1;
        var job = cachedJob ?? new GemmJob<T, TV, TOps>();
        cachedJob = null; // a re-entrant call on this thread builds its own
        try
        {
            bool perUnit = job.Start(a, aOff, rsA, csA, b, bOff, rsB, csB, c, cOff, ldc, m, k, n, parties, epilogue);
            if (parties > 1) CpuWorkers.Share(parties - 1, job.WorkAction);
            else job.Work();
            if (epilogue is not null && !perUnit) epilogue.Apply(c, cOff, 0, m, n);
        }
        finally
        {
            job.Finish();
            cachedJob = job;
        }
    }

    /// <summary>C tiles of rows [0, mc) and slivers [s0, s1) of one packed A unit and B slice.</summary>
    public static void Tiles(T[] bufA, int startA, T[] bufB, int startB, T[] c, int cOff, int ldc,
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
