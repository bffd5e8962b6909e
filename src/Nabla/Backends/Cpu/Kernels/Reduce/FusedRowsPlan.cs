using System.Runtime.CompilerServices;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// What the CPU kernel of <see cref="FusedRows"/> needs to know about a program beyond its data: each slot's kind, the
/// scratch block each step writes (row blocks and cell blocks are two pools, a block reused once every step that reads
/// its slot has run), and which inputs must be read as dense blocks. Computed once per program (the instances a replay
/// makes share their arrays).
/// </summary>
internal sealed class FusedRowsPlan
{
    /// <summary>Per slot (inputs, then steps): whether it is a row slot.</summary>
    public required bool[] IsRow { get; init; }

    /// <summary>Per step: the scratch block of its pool (rows or cells) it writes, or -1 for the last step (the output).</summary>
    public required int[] Buffer { get; init; }

    /// <summary>How many row blocks and cell blocks the program needs.</summary>
    public required int RowBuffers { get; init; }

    /// <inheritdoc cref="RowBuffers"/>
    public required int CellBuffers { get; init; }

    /// <summary>Per input: whether a unary or reduction step reads it (so it must be a dense block, not a broadcast).</summary>
    public required bool[] NeedsDense { get; init; }

    /// <summary>
    /// Whether a cell step runs a kernel whose last bit may depend on the length of its run (TensorPrimitives' narrow
    /// paths on runs shorter than a vector): such a program takes blocks of at least <see cref="MinCells"/> rows, so its
    /// cell runs take the wide paths, as eager code's run over all the rows does.
    /// </summary>
    public required bool InexactCellStep { get; init; }

    /// <summary>The fewest rows of a block of a program with an inexact cell step (unless the tensor has fewer).</summary>
    public const int MinCells = 64;

    static readonly ConditionalWeakTable<int[], FusedRowsPlan> Plans = new();

    public static FusedRowsPlan For(FusedRows op) =>
        // TryGetValue first, the capturing lambda in another method: its closure is allocated on entry to the method
        // that holds it, so on every call if it were here.
        Plans.TryGetValue(op.Operands, out var plan) ? plan : Add(op);

    static FusedRowsPlan Add(FusedRows op) => Plans.GetValue(op.Operands, _ => Make(op));

    /// <summary>Steps whose kernels give each element correctly rounded (so the same bits on a run of any length).</summary>
    static bool Exact(FusedStep step) => step is FusedStep.Add or FusedStep.Sub or FusedStep.Mul or FusedStep.Div
        or FusedStep.Maximum or FusedStep.Minimum or FusedStep.Neg or FusedStep.Abs or FusedStep.Relu or FusedStep.Sqrt;

    static FusedRowsPlan Make(FusedRows op)
    {
        int inputs = op.InputIsRow.Length, steps = op.Steps.Length;
        var isRow = op.SlotIsRow();
        var lastRead = new int[inputs + steps];
        var needsDense = new bool[inputs];
        bool inexact = false;
        for (int k = 0; k < steps; k++)
        {
            for (int j = 2 * k; j < 2 * k + 2; j++)
                if (op.Operands[j] >= 0) lastRead[op.Operands[j]] = k;
            if ((!op.IsBinary(k) || op.Reductions[k] != RowReduction.None) && op.Operands[2 * k] < inputs) needsDense[op.Operands[2 * k]] = true;
            if (op.Reductions[k] == RowReduction.None && !isRow[inputs + k] && !Exact(op.Steps[k])) inexact = true;
        }
        var buffer = new int[steps];
        var free = new[] { new Stack<int>(), new Stack<int>() };   // cell blocks, row blocks
        var count = new int[2];
        for (int k = 0; k < steps; k++)
        {
            int pool = isRow[inputs + k] ? 1 : 0;
            // The step's block is taken before its operands' blocks are freed: a span kernel never writes its input.
            buffer[k] = k == steps - 1 ? -1 : free[pool].Count > 0 ? free[pool].Pop() : count[pool]++;
            for (int j = 2 * k; j < 2 * k + 2; j++)
            {
                int slot = op.Operands[j];
                if (slot >= inputs && lastRead[slot] == k && buffer[slot - inputs] >= 0 && (j == 2 * k || op.Operands[2 * k] != slot))
                    free[isRow[slot] ? 1 : 0].Push(buffer[slot - inputs]);
            }
        }
        return new FusedRowsPlan
        {
            IsRow = isRow, Buffer = buffer, RowBuffers = count[1], CellBuffers = count[0], NeedsDense = needsDense, InexactCellStep = inexact,
        };
    }
}
