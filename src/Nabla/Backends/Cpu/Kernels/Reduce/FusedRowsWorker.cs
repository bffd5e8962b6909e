using System.Numerics;
using Nabla.Backends.Cpu.Kernels.Codegen;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// Per thread: what a generated row kernel works with on one block: the phase's entry arrays and offsets (set per row
/// from a base and a per-row step), the cell and row scratch blocks, the reductions' tail values and folds, and the
/// zero-padded copies a row's last partial vector runs on. Grown as programs need, never shrunk.
/// </summary>
internal sealed class FusedRowsWorker<T> where T : unmanaged, INumber<T>
{
    [ThreadStatic] static FusedRowsWorker<T>? current;

    public T[][] Arrays { get; private set; } = new T[8][];
    public int[] Offsets { get; private set; } = new int[8];

    /// <summary>Per entry: its offset at row 0 and its step per row (what a block kernel computes offsets from).</summary>
    public int[] Bases { get; private set; } = new int[8];

    /// <inheritdoc cref="Bases"/>
    public int[] PerRow { get; private set; } = new int[8];

    RowEntry[] entries = [];
    T[][] padArrays = new T[8][];
    int[] padOffsets = new int[8];
    T[] pad = [];
    int width;

    public T[] Cells = [];
    public T[] RowScratch = [];
    public T[] Tails = [];
    public T[] Folds = [];
    public T[] Chunk = [];

    /// <summary>The calling thread's worker, with room for <paramref name="plan"/> on blocks of up to <paramref name="widest"/> rows of <paramref name="n"/>.</summary>
    public static FusedRowsWorker<T> For(RowKernelPlan plan, int n, int widest, int width)
    {
        var w = current ??= new FusedRowsWorker<T>();
        w.width = width;
        int entries = plan.MaxEntries, steps = plan.RowBuffer.Length;
        if (w.Arrays.Length < entries)
        {
            w.Arrays = new T[entries][];
            w.Offsets = new int[entries];
            w.Bases = new int[entries];
            w.PerRow = new int[entries];
            w.padArrays = new T[entries][];
            w.padOffsets = new int[entries];
        }
        Grow(ref w.Cells, plan.CellBuffers * widest);
        Grow(ref w.RowScratch, (long)plan.RowBuffers * widest * n);
        // A reduction's tail: fewer than four vectors of a chunk, then a padded vector written past them.
        Grow(ref w.Tails, steps * 5 * width);
        Grow(ref w.Folds, steps);
        Grow(ref w.Chunk, steps);
        Grow(ref w.pad, entries * width);
        return w;
    }

    static void Grow(ref T[] array, long length)
    {
        if (array.Length < length) array = new T[length];
    }

    public int TailIndex(int step) => step * 5 * width;

    public int FoldIndex(int step) => step;

    /// <summary>Takes the entries of <paramref name="phase"/> for rows of the block starting at <paramref name="first"/>;
    /// for a block kernel (<paramref name="wholeRows"/>), each fold entry at its row's reduced value.</summary>
    public void Bind(FusedRowsGenerated<T> run, RowPhase phase, int first, bool wholeRows)
    {
        entries = phase.Entries;
        for (int i = 0; i < entries.Length; i++)
            (Arrays[i], Bases[i], PerRow[i]) = run.Home(entries[i], this, first, wholeRows);
    }

    public void AtRow(int r)
    {
        for (int i = 0; i < entries.Length; i++) Offsets[i] = Bases[i] + r * PerRow[i];
    }

    /// <summary>
    /// The loop on the last <paramref name="count"/> (&lt; one vector) elements of a row from <paramref name="start"/>:
    /// loads copied into zero-padded vectors, stores written to the pad and copied back, tails shifted by
    /// <paramref name="tailShift"/>. A load and a store of the same memory (a phase that updates a row in place) each
    /// take their own pad, so every lane reads the value from before the loop.
    /// </summary>
    public void Padded(RowPhaseBody<T> body, int inputs, ulong splatInputs, int start, int count, int tailShift)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            var kind = RowKernelGenerator.KindOf(entries[i], inputs, splatInputs);
            if (kind is RowEntryKind.Load or RowEntryKind.Store)
            {
                if (kind == RowEntryKind.Load)
                {
                    Array.Copy(Arrays[i], Offsets[i] + start, pad, i * width, count);
                    Array.Clear(pad, i * width + count, width - count);
                }
                (padArrays[i], padOffsets[i]) = (pad, i * width);
            }
            else (padArrays[i], padOffsets[i]) = (Arrays[i], Offsets[i] + (kind == RowEntryKind.Tail ? tailShift : 0));
        }
        body(padArrays, padOffsets, 0, width);
        for (int i = 0; i < entries.Length; i++)
            if (RowKernelGenerator.KindOf(entries[i], inputs, splatInputs) == RowEntryKind.Store)
                Array.Copy(pad, i * width, Arrays[i], Offsets[i] + start, count);
        Array.Clear(padArrays, 0, entries.Length);
    }

    /// <summary>Drops the references to tensors' arrays the entries hold.</summary>
    public void Unbind() => Array.Clear(Arrays, 0, entries.Length);
}
