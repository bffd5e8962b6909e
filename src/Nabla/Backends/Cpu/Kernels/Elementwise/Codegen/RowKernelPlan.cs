using System.Runtime.CompilerServices;
using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels.Codegen;

/// <summary>What an entry of a generated row phase's arrays holds, and how the phase's code reads it.</summary>
internal enum RowEntryKind
{
    /// <summary>A row slot read per vector (a row input, or a row a previous phase stored).</summary>
    Load,

    /// <summary>A cell slot (or a broadcast scalar) read once per row and splatted.</summary>
    Splat,

    /// <summary>A row step this phase writes to memory (a later phase reads it, or it is the output).</summary>
    Store,

    /// <summary>Per reduction: where the per-vector loop writes the reduced values of a row's tail.</summary>
    Tail,

    /// <summary>Per reduction: where the four-accumulator loop writes the folded value of a row's main part.</summary>
    Fold,
}

/// <summary>One entry of a phase's arrays: its kind and the slot it holds (for Tail and Fold: the reduction step).</summary>
internal readonly record struct RowEntry(RowEntryKind Kind, int Slot);

/// <summary>One phase of a generated row kernel: the cell steps run on a block's cells first, then per row one
/// loop over the row computing <see cref="RowSteps"/> and accumulating <see cref="Reductions"/>.</summary>
internal sealed class RowPhase
{
    /// <summary>Cell steps (program order) run over the block's cells before the row loop.</summary>
    public required int[] CellSteps { get; init; }

    /// <summary>Elementwise row steps (program order) computed in the row loop.</summary>
    public required int[] RowSteps { get; init; }

    /// <summary>Reduction steps accumulated in the row loop.</summary>
    public required int[] Reductions { get; init; }

    /// <summary>The loop's arrays: loads, splats, stores, then one tail and one fold entry per reduction.</summary>
    public required RowEntry[] Entries { get; init; }

    /// <summary>Whether the phase has a row loop.</summary>
    public bool HasRows => RowSteps.Length > 0 || Reductions.Length > 0;
}

/// <summary>
/// The schedule of a <see cref="FusedRows"/> program for generated row kernels. A reduction splits the program: what
/// reads its cell runs in a later phase. Phase p runs the cell steps whose operands are ready (span kernels over the
/// block's cells, as the interpreter runs them), then one loop per row computing every row step that phase can run,
/// values in registers, with the phase's reductions accumulated in the same loop (softmax: max; exp(x - max) and its
/// sum; the division). A row step runs in the latest phase that still serves its first reader (so x - mean in layer
/// norm is not stored by the phase of the mean); a row value a later phase reads is stored to a row buffer: the
/// output block itself where it is free (softmax's exponentials), else a scratch block. Dtype-independent; computed
/// once per program.
/// </summary>
internal sealed class RowKernelPlan
{
    /// <summary>The output's "buffer": a row stored into the output block.</summary>
    public const int Output = -2;

    /// <summary>The phases in order.</summary>
    public required RowPhase[] Phases { get; init; }

    /// <summary>Per slot: the row buffer it is stored in (<see cref="Output"/>, a scratch block index, or -1: not stored).</summary>
    public required int[] RowBuffer { get; init; }

    /// <summary>Per slot: its cell scratch index (-1 for inputs, row slots and a final cell).</summary>
    public required int[] CellBuffer { get; init; }

    /// <summary>How many scratch row blocks and cell blocks a block needs.</summary>
    public required int RowBuffers { get; init; }

    /// <inheritdoc cref="RowBuffers"/>
    public required int CellBuffers { get; init; }

    /// <summary>The most entries a phase has (the size of the per-thread arrays).</summary>
    public required int MaxEntries { get; init; }

    static readonly ConditionalWeakTable<int[], RowKernelPlan> Plans = new();

    /// <summary>The plan of <paramref name="op"/>'s program (shared by the op instances a replay makes).</summary>
    public static RowKernelPlan For(FusedRows op) =>
        // TryGetValue first, the capturing lambda in another method: its closure is allocated on entry to the method
        // that holds it, so on every call if it were here.
        Plans.TryGetValue(op.Operands, out var plan) ? plan : Add(op);

    static RowKernelPlan Add(FusedRows op) => Plans.GetValue(op.Operands, _ => Make(op));

    static RowKernelPlan Make(FusedRows op)
    {
        int inputs = op.InputIsRow.Length, steps = op.Steps.Length, slots = inputs + steps;
        var isRow = op.SlotIsRow();
        bool Reduction(int k) => op.Reductions[k] != RowReduction.None;
        IEnumerable<int> Reads(int k) => op.IsBinary(k) ? [op.Operands[2 * k], op.Operands[2 * k + 1]] : [op.Operands[2 * k]];

        // ready: the first phase whose row loop can use a slot; a reduction's cell is ready one phase after its loop.
        var ready = new int[slots];
        var phase = new int[steps];
        for (int k = 0; k < steps; k++)
        {
            int at = Reads(k).Max(s => ready[s]);
            phase[k] = at;
            ready[inputs + k] = Reduction(k) ? at + 1 : at;
        }
        // Row steps as late as their first reader allows (readers come later in program order).
        var readers = new List<int>[slots];
        for (int s = 0; s < slots; s++) readers[s] = [];
        for (int k = 0; k < steps; k++)
            foreach (int s in Reads(k).Distinct()) readers[s].Add(k);
        for (int k = steps - 1; k >= 0; k--)
            if (isRow[inputs + k] && readers[inputs + k].Count > 0) phase[k] = readers[inputs + k].Min(r => phase[r]);
        int phases = phase.Max() + 1;

        var rowBuffer = Enumerable.Repeat(-1, slots).ToArray();
        var cellBuffer = Enumerable.Repeat(-1, slots).ToArray();
        int last = steps - 1, cells = 0;
        for (int k = 0; k < last; k++)
            if (!isRow[inputs + k]) cellBuffer[inputs + k] = cells++;
        int rowBuffers = AssignRowBuffers(isRow, phase, readers, inputs, rowBuffer);

        var plans = new RowPhase[phases];
        for (int p = 0; p < phases; p++)
        {
            var cellSteps = Enumerable.Range(0, steps).Where(k => phase[k] == p && !isRow[inputs + k] && !Reduction(k)).ToArray();
            var rowSteps = Enumerable.Range(0, steps).Where(k => phase[k] == p && isRow[inputs + k]).ToArray();
            var reductions = Enumerable.Range(0, steps).Where(k => phase[k] == p && Reduction(k)).ToArray();
            var computed = rowSteps.Select(k => inputs + k).ToHashSet();
            var read = rowSteps.Concat(reductions).SelectMany(Reads).Distinct().Where(s => !computed.Contains(s)).OrderBy(s => s).ToList();
            var entries = new List<RowEntry>();
            entries.AddRange(read.Where(s => isRow[s]).Select(s => new RowEntry(RowEntryKind.Load, s)));
            entries.AddRange(read.Where(s => !isRow[s]).Select(s => new RowEntry(RowEntryKind.Splat, s)));
            entries.AddRange(rowSteps.Where(k => rowBuffer[inputs + k] != -1).Select(k => new RowEntry(RowEntryKind.Store, inputs + k)));
            entries.AddRange(reductions.Select(k => new RowEntry(RowEntryKind.Tail, k)));
            entries.AddRange(reductions.Select(k => new RowEntry(RowEntryKind.Fold, k)));
            plans[p] = new RowPhase { CellSteps = cellSteps, RowSteps = rowSteps, Reductions = reductions, Entries = [.. entries] };
        }
        return new RowKernelPlan { Phases = plans, MaxEntries = plans.Max(p => p.Entries.Length), RowBuffer = rowBuffer, CellBuffer = cellBuffer, RowBuffers = rowBuffers, CellBuffers = cells };
    }

    /// <summary>
    /// Gives each row step a later phase reads (and a final row) a buffer, phase by phase: the output block first while
    /// it is free before the final step's phase, else a scratch block whose last reader's phase has come (a loop reads
    /// a position before it writes it, so a block may be reused by the phase that reads it last). Returns the count of
    /// scratch blocks.
    /// </summary>
    static int AssignRowBuffers(bool[] isRow, int[] phase, List<int>[] readers, int inputs, int[] rowBuffer)
    {
        int steps = phase.Length, last = steps - 1;
        int finalPhase = phase[last];
        var lastRead = new int[steps];
        var stored = new List<int>();
        for (int k = 0; k < steps; k++)
        {
            if (!isRow[inputs + k]) continue;
            lastRead[k] = readers[inputs + k].Count == 0 ? phase[k] : readers[inputs + k].Max(r => phase[r]);
            if (k == last) rowBuffer[inputs + k] = Output;
            else if (lastRead[k] > phase[k]) stored.Add(k);
        }
        int outputFreeFrom = 0;
        var freeFrom = new List<int>();   // per scratch block: the phase from which it may be written again
        foreach (int k in stored.OrderBy(k => phase[k]).ThenBy(k => k))
        {
            if (isRow[inputs + last] && phase[k] < finalPhase && outputFreeFrom <= phase[k] && lastRead[k] <= finalPhase)
            {
                rowBuffer[inputs + k] = Output;
                outputFreeFrom = lastRead[k];
                continue;
            }
            int b = freeFrom.FindIndex(f => f <= phase[k]);
            if (b < 0) freeFrom.Add(0);
            b = b < 0 ? freeFrom.Count - 1 : b;
            rowBuffer[inputs + k] = b;
            freeFrom[b] = lastRead[k];
        }
        return freeFrom.Count;
    }
}
