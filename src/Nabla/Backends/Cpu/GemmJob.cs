using System.Runtime.CompilerServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The shared state of one blocked product while the caller and the workers run it (see
/// <see cref="GemmBlocked{T, TV, TOps}"/>). Blocks are numbered i = jcIndex * kBlocks + pcIndex.
/// Per block: pack units (groups of B slivers) and compute units (row unit x column part), handed
/// out by atomic counters; each counter sits on its own 64-byte line so the threads do not fight
/// over one cache line. Kept per calling thread and reused, so a steady state allocates nothing.
/// </summary>
internal sealed class GemmJob<T, TV, TOps>
    where T : unmanaged where TV : struct where TOps : IGemmVector<T, TV>
{
    const int Line = 16;                         // ints per 64-byte cache line
    const int PackNext = 0, PackDone = 1, CompNext = 2, CompDone = 3, PerBlock = 4;

    T[] a = null!, b = null!, c = null!;
    int aOff, rsA, csA, bOff, rsB, csB, cOff, ldc, m, k, n;
    int kc0, nc0, kBlocks, blocks, tiles, rowUnits, nr;
    T[]? bufB;
    int startB0, startB1;
    int[] counters = [];
    int unitBase;                                // first line of the per-unit progress marks

    public readonly Action WorkAction;

    public GemmJob() => WorkAction = Work;

    /// <summary>Sets up one product; true when the <paramref name="epilogue"/> will run per row unit (else the caller runs it on all of C).</summary>
    public bool Start(T[] a, int aOff, int rsA, int csA, T[] b, int bOff, int rsB, int csB,
        T[] c, int cOff, int ldc, int m, int k, int n, int parties, GemmEpilogue<T>? epilogue = null)
    {
        (this.a, this.aOff, this.rsA, this.csA, this.b, this.bOff, this.rsB, this.csB) = (a, aOff, rsA, csA, b, bOff, rsB, csB);
        (this.c, this.cOff, this.ldc, this.m, this.k, this.n) = (c, cOff, ldc, m, k, n);
        nr = GemmMicroKernel<T, TV, TOps>.NR;
        // k blocks of equal depth (784 = 392 + 392, not 384 + 384 + 16: a thin last block costs a
        // pass over C and a pack for almost no arithmetic). Depends on k only, like the bits.
        kBlocks = (k + GemmBlocked<T, TV, TOps>.KC - 1) / GemmBlocked<T, TV, TOps>.KC;
        kc0 = (k + kBlocks - 1) / kBlocks;
        nc0 = GemmBlocked<T, TV, TOps>.NC;
        blocks = kBlocks * ((n + nc0 - 1) / nc0);
        const int mr = GemmBlocked<T, TV, TOps>.MR;
        tiles = (m + mr - 1) / mr;
        if (unitStart.Length < tiles + 1) unitStart = new int[tiles + 1];
        rowUnits = SplitRows(tiles, parties, unitStart);
        this.parties = parties;
        int maxUnits = rowUnits * ColParts(Math.Min(nc0, n));
        unitBase = blocks * PerBlock;
        int need = (unitBase + maxUnits) * Line;
        if (counters.Length < need) counters = new int[need];
        else Array.Clear(counters, 0, need);

        prepacked = epilogue?.ReusableB is { } reuse
            ? GemmPackedB<T>.For(reuse.Storage, reuse.Version, b, bOff, rsB, csB, k, n, nr, kc0, nc0) : null;
        if (prepacked is null)
        {
            int kc = Math.Min(kc0, k), slivers = (Math.Min(nc0, n) + nr - 1) / nr;
            int len = kc * slivers * nr;                   // a multiple of 16 elements: 64-byte aligned halves
            bufB = GemmBuffers<T>.TakeB(blocks > 1 ? 2 * len : len, out startB0);
            startB1 = startB0 + len;
        }
        // Per row unit only when units are whole rows (one column group, one column part) and each row's run is long
        // enough that the epilogue's span kernels take their full-width paths, as on eager code's whole tensor.
        this.epilogue = epilogue is not null && n <= nc0 && ColParts(n) == 1 && n >= GemmEpilogue<T>.MinSpan ? epilogue : null;
        return this.epilogue is not null;
    }

    GemmEpilogue<T>? epilogue;
    GemmPackedB<T>? prepacked;                  // B's blocks packed by an earlier product: no packing here
    int[] unitStart = new int[8];               // first register-row tile of each row unit, then the tile count

    /// <summary>
    /// Cuts <paramref name="tiles"/> register rows into row units of at most MCTiles: unit r is tiles
    /// [<paramref name="start"/>[r], <paramref name="start"/>[r + 1]); returns the unit count. One thread: equal
    /// units. Several: guided sizes, each about 1/(2·parties) of the tiles not yet cut, so the first units are
    /// large (an A unit and each B sliver serve many tiles) and the last ones small: units are claimed in order,
    /// so the threads finish a product within a small unit of each other even when one started late (a worker
    /// woken from sleep). Any cut gives the same bits.
    /// </summary>
    internal static int SplitRows(int tiles, int parties, int[] start)
    {
        int most = GemmBlocked<T, TV, TOps>.MCTiles, units = 0;
        if (parties == 1)
        {
            units = (tiles + most - 1) / most;
            for (int r = 0; r <= units; r++) start[r] = r * tiles / units;
            return units;
        }
        int least = tiles >= 8 * parties ? 2 : 1;
        for (int t = 0; t < tiles; units++)
        {
            start[units] = t;
            t += Math.Min(tiles - t, Math.Clamp((tiles - t) / (2 * parties), least, most));
        }
        start[units] = tiles;
        return units;
    }

    int parties;

    public void Finish()
    {
        if (bufB is not null) GemmBuffers<T>.ReturnB(bufB);
        bufB = null;
        epilogue = null;
        prepacked = null;
        a = b = c = null!;
    }

    // Column parts only when there are too few row units to keep every thread busy.
    int ColParts(int nc)
    {
        if (parties == 1 || rowUnits >= 2 * parties) return 1;
        int slivers = (nc + nr - 1) / nr;
        return Math.Max(1, Math.Min(slivers, (3 * parties + rowUnits - 1) / rowUnits));
    }

    ref int Counter(int block, int which) => ref counters[(block * PerBlock + which) * Line];

    static void WaitAtLeast(ref int counter, int value)
    {
        if (Volatile.Read(ref counter) >= value) return;
        var spin = new SpinWait();
        while (Volatile.Read(ref counter) < value) spin.SpinOnce(sleep1Threshold: -1);
    }

    /// <summary>Claims and runs pack and compute units until every block is handed out.</summary>
    public void Work()
    {
        const int mr = GemmBlocked<T, TV, TOps>.MR;
        var bufB = prepacked?.Data ?? this.bufB!;
        for (int i = 0; i < blocks; i++)
        {
            int jc = i / kBlocks * nc0, pcIndex = i % kBlocks, pc = pcIndex * kc0;
            int nc = Math.Min(nc0, n - jc), kc = Math.Min(kc0, k - pc);
            int slivers = (nc + nr - 1) / nr;
            int colParts = ColParts(nc), units = rowUnits * colParts;
            if (Volatile.Read(ref Counter(i, CompNext)) >= units) continue;  // all handed out
            int startB = prepacked is not null ? prepacked.Start + prepacked.Offsets[i] : (i & 1) == 0 ? startB0 : startB1;

            int packUnits = prepacked is not null ? 0 : parties == 1 ? 1 : Math.Min(slivers, 4 * parties);
            int u;
            while ((u = Interlocked.Increment(ref Counter(i, PackNext)) - 1) < packUnits)
            {
                // The other buffer is free once block i - 2 has been computed.
                if (i >= 2) WaitAtLeast(ref Counter(i - 2, CompDone), UnitsOf(i - 2));
                GemmPack.PackB(b, bOff + pc * rsB + jc * csB, rsB, csB, kc, nc, nr, bufB.AsSpan(startB),
                    u * slivers / packUnits, (u + 1) * slivers / packUnits);
                Interlocked.Increment(ref Counter(i, PackDone));
            }
            WaitAtLeast(ref Counter(i, PackDone), packUnits);

            while ((u = Interlocked.Increment(ref Counter(i, CompNext)) - 1) < units)
            {
                int r = u / colParts, part = u % colParts;
                int ic = unitStart[r] * mr, iEnd = Math.Min(m, unitStart[r + 1] * mr);
                // The same C rows from the previous k block must be complete first.
                ref int progress = ref counters[(unitBase + u) * Line];
                if (pcIndex > 0) WaitAtLeast(ref progress, i);
                if (iEnd > ic)
                {
                    int mc = iEnd - ic, aLen = (mc + mr - 1) / mr * mr * kc;
                    var bufA = GemmBuffers<T>.TakeA(aLen, out int startA);
                    try
                    {
                        GemmPack.PackA(a, aOff + ic * rsA + pc * csA, rsA, csA, mc, kc, mr, bufA.AsSpan(startA, aLen));
                        GemmBlocked<T, TV, TOps>.Tiles(bufA, startA, bufB, startB, c, cOff + ic * ldc + jc, ldc,
                            mc, kc, nc, part * slivers / colParts, (part + 1) * slivers / colParts, pcIndex > 0);
                        if (pcIndex == kBlocks - 1) epilogue?.Apply(c, cOff, ic, mc, n);
                    }
                    finally
                    {
                        GemmBuffers<T>.ReturnA(bufA);
                    }
                }
                // Raise, never lower: the last block of the previous column group may finish this
                // unit after the first block of this group already did.
                int seen;
                while ((seen = Volatile.Read(ref progress)) < i + 1 && Interlocked.CompareExchange(ref progress, i + 1, seen) != seen) { }
                Interlocked.Increment(ref Counter(i, CompDone));
            }
        }
        // The caller returns only when every unit is computed (a worker may still finish one).
        for (int i = Math.Max(0, blocks - 2); i < blocks; i++) WaitAtLeast(ref Counter(i, CompDone), UnitsOf(i));
    }

    int UnitsOf(int block)
    {
        int jc = block / kBlocks * nc0;
        return rowUnits * ColParts(Math.Min(nc0, n - jc));
    }
}
