using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels.Codegen;

/// <summary>
/// One row loop of a generated row kernel: elements [start, start + count) of the current row, count a multiple of the
/// vector width (of four vectors for a loop with accumulators). Entry i of the phase (<see cref="RowPhase.Entries"/>) is
/// read at arrays[i][offsets[i] + start + e] (a load or a store), arrays[i][offsets[i]] (a splat, or a fold's result),
/// or arrays[i][offsets[i] + e] (a tail).
/// </summary>
internal delegate void RowPhaseBody<T>(T[][] arrays, int[] offsets, int start, int count);

/// <summary>
/// A phase's row loop over rows [first, first + count) of a block, each row whole: per row r, offsets[i] = bases[i] +
/// r * perRow[i] for every entry, then the loop over elements [0, n) (n a multiple of four vectors for a phase with
/// reductions, of one vector otherwise), each fold written to its entry (so a fold entry's base and step place it at
/// the row's reduced value). One call per block and phase instead of one per row.
/// </summary>
internal delegate void RowBlockBody<T>(T[][] arrays, int[] offsets, int[] bases, int[] perRow, int first, int count, int n);

/// <summary>A program's generated row loops per phase: <see cref="Main"/> with four accumulators per reduction (null
/// for a phase without reductions or rows), <see cref="Vector"/> one vector at a time, storing reduced values to the
/// tail entries (null for a phase without rows), <see cref="Block"/> whole rows of a block (Main's loop for a phase
/// with reductions, else Vector's; null for a phase without rows).</summary>
internal sealed record RowKernels<T>(RowPhaseBody<T>?[] Main, RowPhaseBody<T>?[] Vector, RowBlockBody<T>?[] Block);

/// <summary>
/// Generates the row loops of a <see cref="FusedRows"/> program (<see cref="RowKernelPlan"/>) as IL over Vector512/256,
/// each step one call of the vector method its eager kernel calls (<see cref="FusedVectorSteps"/>, as
/// <see cref="FusedKernelGenerator"/>), so every lane gets eager code's bits. A reduction is accumulated in the loop in
/// <see cref="RowReducer"/>'s order: four accumulators taking vectors 0, 1, 2, 3 of each group of four (the first group
/// loaded, not combined with an identity), folded by <see cref="RowFold"/>; the rest of the row goes through the
/// one-vector loop, its values stored to the tail entry for the caller to add one by one. Cached process-wide by the
/// program's signature, dtype and which row inputs are splatted (broadcast along the row). Null when a row step has no vector form.
/// </summary>
internal static class RowKernelGenerator
{
    static readonly ConcurrentDictionary<string, object?> Cache = new();

    /// <summary>
    /// Rows shorter than this many vectors run on the interpreter: a generated loop pays a few calls and a padded tail
    /// per row and phase, more than a row of a few vectors costs (bench/README.md compiled_rows, [64, 10]); the
    /// interpreter's span kernels take a whole block of short rows per call. Tests lower it to run short rows too.
    /// </summary>
    public static int MinRowVectors { get; set; } = 4;

    /// <summary>Whether rows without a tail run in one block kernel call per block and phase (<see cref="RowBlockBody{T}"/>);
    /// tests turn it off to run the per-row loops on the same rows.</summary>
    public static bool BlockKernels { get; set; } = true;

    /// <summary>
    /// Programs with more steps run on the interpreter: the four-accumulator loop holds each row step four times, and
    /// the JIT's time grows faster than the method (a 10,000-step generated elementwise method took minutes; elementwise
    /// groups are capped at 64 steps for that reason, row groups are not).
    /// </summary>
    public const int MaxSteps = 64;

    /// <summary>How many generated row kernels the process holds (tests check the cache is shared).</summary>
    public static int Count => Cache.Count;

    /// <summary>The row loops of <paramref name="op"/> on <typeparamref name="T"/>, with the row inputs whose bit is set
    /// in <paramref name="splatInputs"/> splatted; null when a row step has no vector form.</summary>
    public static RowKernels<T>? For<T>(FusedRows op, RowKernelPlan plan, ulong splatInputs) where T : unmanaged =>
        (RowKernels<T>?)Cache.GetOrAdd(Signature(op, typeof(T), splatInputs), _ => Generate<T>(op, plan, splatInputs));

    /// <summary>The kind a phase's code reads entry <paramref name="entry"/> as: a row input broadcast along the row (a scalar, or one value per row) is splatted.</summary>
    public static RowEntryKind KindOf(RowEntry entry, int inputs, ulong splatInputs) =>
        entry.Kind == RowEntryKind.Load && entry.Slot < inputs && (splatInputs >> entry.Slot & 1) != 0 ? RowEntryKind.Splat : entry.Kind;

    static string Signature(FusedRows op, Type dtype, ulong splatInputs)
    {
        var text = new StringBuilder("rows;").Append(dtype.Name).Append(';').Append(splatInputs).Append(';');
        foreach (bool row in op.InputIsRow) text.Append(row ? 'r' : 'c');
        text.Append(';');
        for (int k = 0; k < op.Steps.Length; k++)
        {
            text.Append((int)op.Steps[k]).Append(',').Append((int)op.Reductions[k]).Append(',')
                .Append(op.Operands[2 * k]).Append(',').Append(op.Operands[2 * k + 1]);
            if (op.Steps[k] == FusedStep.PowScalar) text.Append(',').Append(BitConverter.DoubleToInt64Bits(op.Scalars[k]));
            text.Append(';');
        }
        return text.ToString();
    }

    static RowKernels<T>? Generate<T>(FusedRows op, RowKernelPlan plan, ulong splatInputs) where T : unmanaged
    {
        if (!KernelCodegen.IsSupported || op.InputIsRow.Length > 64 || op.Steps.Length > MaxSteps) return null;
        var vector = FusedVectorSteps.VectorOf(typeof(T));
        var steps = new FusedElementwise(op.Steps, op.Operands, op.Scalars);
        var calls = new MethodInfo[op.Steps.Length][];
        var isRow = op.SlotIsRow();
        for (int k = 0; k < calls.Length; k++)
            if (isRow[op.InputIsRow.Length + k] && (calls[k] = FusedVectorSteps.For(steps, k, typeof(T), vector)!) is null) return null;
        int phases = plan.Phases.Length;
        var main = new RowPhaseBody<T>?[phases];
        var vec = new RowPhaseBody<T>?[phases];
        var block = new RowBlockBody<T>?[phases];
        for (int p = 0; p < phases; p++)
        {
            if (!plan.Phases[p].HasRows) continue;
            var emitter = new RowLoopEmitter(op, plan.Phases[p], calls, typeof(T), vector, splatInputs);
            vec[p] = emitter.Emit<T>(accumulate: false);
            if (plan.Phases[p].Reductions.Length > 0) main[p] = emitter.Emit<T>(accumulate: true);
            block[p] = emitter.EmitBlock<T>(accumulate: plan.Phases[p].Reductions.Length > 0);
        }
        return new RowKernels<T>(main, vec, block);
    }
}

/// <summary>The generated row kernels of a fused row program (null: none, the interpreter runs it); see <see cref="LastGeneratedKernel"/>.</summary>
internal static class FusedRowKernels
{
    static readonly ConditionalWeakTable<int[], LastGeneratedKernel> Table = new();

    public static RowKernels<T>? For<T>(FusedRows op, RowKernelPlan plan, ulong splatInputs) where T : unmanaged
    {
        var slot = Table.GetValue(op.Operands, static _ => new LastGeneratedKernel());
        if (!slot.TryGet(typeof(T), splatInputs, out var kernels))
            slot.Set(typeof(T), splatInputs, kernels = RowKernelGenerator.For<T>(op, plan, splatInputs));
        return (RowKernels<T>?)kernels;
    }
}
