using System.Runtime.CompilerServices;
using Nabla.Primitives.Elementwise;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// Which scratch tile each step of a <see cref="FusedElementwise"/> program writes (-1: an output), reusing a tile once
/// every step that reads its slot has run, so a long chain still fits a few tiles in L1. The last step, when it is an
/// output, writes that output directly; the other outputs keep their tiles to the end of each tile's steps and are
/// copied out then. Computed once per program (the instances a replay makes share their arrays).
/// </summary>
internal sealed class TilePlan
{
    /// <summary>Per step: the scratch tile it writes, or -1 for the last step when it writes <see cref="Direct"/>.</summary>
    public required int[] Buffer { get; init; }

    /// <summary>The output the last step writes directly, or -1 (the last step is no output).</summary>
    public required int Direct { get; init; }

    /// <summary>How many scratch tiles the program needs.</summary>
    public required int Buffers { get; init; }

    static readonly ConditionalWeakTable<int[], TilePlan> Plans = new();

    public static TilePlan For(FusedElementwise op, int inputs) =>
        Plans.TryGetValue(op.Operands, out var plan) ? plan : Add(op, inputs);

    // Apart from For, whose calls would otherwise allocate the lambda's captures every time.
    static TilePlan Add(FusedElementwise op, int inputs) => Plans.GetValue(op.Operands, _ => Make(op, inputs));

    static TilePlan Make(FusedElementwise op, int inputs)
    {
        int steps = op.Steps.Length;
        var lastRead = new int[inputs + steps];
        for (int k = 0; k < steps; k++)
            for (int j = 2 * k; j < 2 * k + 2; j++)
                if (op.Operands[j] >= 0) lastRead[op.Operands[j]] = k;
        foreach (int k in op.Outputs) lastRead[inputs + k] = int.MaxValue;   // read by the copy out at the tile's end
        int direct = Array.IndexOf(op.Outputs, steps - 1);
        var buffer = new int[steps];
        var free = new Stack<int>();
        int count = 0;
        for (int k = 0; k < steps; k++)
        {
            // The step's tile is taken before its operands' tiles are freed: a span kernel never writes its input.
            buffer[k] = k == steps - 1 && direct >= 0 ? -1 : free.Count > 0 ? free.Pop() : count++;
            for (int j = 2 * k; j < 2 * k + 2; j++)
            {
                int slot = op.Operands[j];
                if (slot >= inputs && lastRead[slot] == k && buffer[slot - inputs] >= 0 && (j == 2 * k || op.Operands[2 * k] != slot))
                    free.Push(buffer[slot - inputs]);
            }
        }
        return new TilePlan { Buffer = buffer, Buffers = Math.Max(count, 1), Direct = direct };
    }
}
