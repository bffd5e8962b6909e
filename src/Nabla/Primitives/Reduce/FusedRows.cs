using Nabla.Backends.Reference;
using Nabla.Primitives.Elementwise;

namespace Nabla.Primitives.Reduce;

/// <summary>What a step of a <see cref="FusedRows"/> program reduces its row to (None: an elementwise step).</summary>
internal enum RowReduction { None, Sum, Max, Min }

/// <summary>
/// Elementwise ops and reductions along the last dim (kept as size 1) over the rows of one shape as one op, made by
/// the graph pass <c>RowFusion</c> (softmax, log-softmax, layer norm written from primitives), never by user code.
/// A program held as plain data, so a graph file can save it. Every slot is either a row slot (the shape
/// <see cref="RowShape"/>, [..., n]) or a cell slot (one value per row, [..., 1]). Slots 0..inputs-1 are the op's
/// inputs, each broadcast to a row or a cell (<see cref="InputIsRow"/>); step k reads <see cref="Operands"/>[2k] (and
/// [2k+1] for a binary step, -1 otherwise) and writes slot inputs+k: an elementwise step (<see cref="Steps"/>[k], a
/// row when an operand is a row, cells broadcast along it) or, when <see cref="Reductions"/>[k] is not None, the sum,
/// maximum or minimum of its operand's row (a cell). The last step's slot is the result. Each step is exactly its
/// primitive: the CPU kernel runs eager code's span kernels and row reducer, the derivatives run the steps' own rules.
/// </summary>
internal sealed class FusedRows(int[] rowShape, bool[] inputIsRow, FusedStep[] steps, RowReduction[] reductions, int[] operands, double[] scalars)
    : Primitive
{
    public override string Name => "fused_rows";
    public override bool MayFailInReplay => false;   // a reduction: total on every value

    /// <summary>The shape of a row slot; a cell slot has it with the last dim 1.</summary>
    public int[] RowShape => rowShape;

    /// <summary>Per input: whether it is broadcast to a row (else to a cell).</summary>
    public bool[] InputIsRow => inputIsRow;

    /// <summary>The elementwise primitive of each step (unused by a reduction step).</summary>
    public FusedStep[] Steps => steps;

    /// <summary>Per step: the reduction it is, or None for an elementwise step.</summary>
    public RowReduction[] Reductions => reductions;

    /// <summary>Two slots per step: what it reads (-1: no second operand).</summary>
    public int[] Operands => operands;

    /// <summary>Per step: its scalar parameter (PowScalar's exponent; 0 for the others).</summary>
    public double[] Scalars => scalars;

    /// <summary>The shape of a cell slot.</summary>
    public int[] CellShape()
    {
        var shape = (int[])rowShape.Clone();
        shape[^1] = 1;
        return shape;
    }

    /// <summary>Whether step <paramref name="k"/> reads two slots.</summary>
    public bool IsBinary(int k) => operands[2 * k + 1] >= 0;

    /// <summary>Whether each slot (inputs, then steps) is a row slot.</summary>
    public bool[] SlotIsRow()
    {
        var isRow = new bool[inputIsRow.Length + steps.Length];
        Array.Copy(inputIsRow, isRow, inputIsRow.Length);
        for (int k = 0; k < steps.Length; k++)
            isRow[inputIsRow.Length + k] = reductions[k] == RowReduction.None
                && (isRow[operands[2 * k]] || (IsBinary(k) && isRow[operands[2 * k + 1]]));
        return isRow;
    }

    /// <summary>The primitive elementwise step <paramref name="k"/> runs.</summary>
    public Primitive StepPrimitive(int k) => new FusedElementwise(steps, operands, scalars).StepPrimitive(k);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        // The chain rule step by step, backwards, through each step's own Vjp (Tensor ops, so higher orders follow);
        // a cell read by a row step gets that step's gradient summed along the row (Expand's transpose).
        var (values, isRow) = Forward(x);
        var grads = new Tensor?[values.Length];
        grads[^1] = gy;
        for (int k = steps.Length - 1; k >= 0; k--)
        {
            int slot = x.Length + k;
            if (grads[slot] is not { } g) continue;
            var (inputs, reads) = StepInputs(k, values, isRow);
            var stepGrads = Step(k).Vjp(g, inputs, values[slot], [.. reads.Select(_ => true)]);
            for (int i = 0; i < reads.Length; i++)
                if (stepGrads[i] is { } part)
                {
                    part = part.SumTo(values[reads[i]].Shape.ToArray());
                    grads[reads[i]] = grads[reads[i]] is { } sum ? sum + part : part;
                }
        }
        return [.. Enumerable.Range(0, x.Length).Select(i => grads[i]?.SumTo(x[i].Shape.ToArray()))];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        var (values, isRow) = Forward(x);
        var tangents = new Tensor?[values.Length];
        for (int i = 0; i < x.Length; i++) tangents[i] = dx[i]?.Expand(SlotShape(isRow[i]));
        for (int k = 0; k < steps.Length; k++)
        {
            var (inputs, reads) = StepInputs(k, values, isRow);
            var dIn = reads.Select(r => tangents[r]?.Expand(inputs[0].Shape.ToArray())).ToArray();
            if (dIn.All(t => t is null)) continue;
            tangents[x.Length + k] = Step(k).Jvp(dIn, inputs, values[x.Length + k]);
        }
        return tangents[^1];
    }

    public override RefArray Reference(RefArray[] x)
    {
        var isRow = SlotIsRow();
        var slots = new RefArray[x.Length + steps.Length];
        for (int i = 0; i < x.Length; i++) slots[i] = Broadcast(x[i], SlotShape(isRow[i]));
        for (int k = 0; k < steps.Length; k++)
        {
            var shape = reductions[k] == RowReduction.None ? SlotShape(isRow[x.Length + k]) : rowShape;
            RefArray[] inputs = IsBinary(k) ? [Broadcast(slots[operands[2 * k]], shape), Broadcast(slots[operands[2 * k + 1]], shape)]
                : [Broadcast(slots[operands[2 * k]], shape)];
            slots[x.Length + k] = Step(k).Reference(inputs);
        }
        return slots[^1];
    }

    /// <summary>The primitive step <paramref name="k"/> is: its elementwise op or its reduction along the last dim.</summary>
    Primitive Step(int k) => reductions[k] switch
    {
        RowReduction.None => StepPrimitive(k),
        RowReduction.Sum => new Sum([rowShape.Length - 1], rowShape),
        _ => new Max([rowShape.Length - 1], rowShape, reductions[k] == RowReduction.Min),
    };

    int[] SlotShape(bool isRow) => isRow ? rowShape : CellShape();

    /// <summary>Every slot's value at its slot shape, computed by ordinary Tensor ops (each step dispatched as its primitive).</summary>
    (Tensor[] Values, bool[] IsRow) Forward(Tensor[] x)
    {
        var isRow = SlotIsRow();
        var values = new Tensor[x.Length + steps.Length];
        for (int i = 0; i < x.Length; i++) values[i] = x[i].Expand(SlotShape(isRow[i]));
        for (int k = 0; k < steps.Length; k++)
            values[x.Length + k] = Engine.Dispatch.Call(Step(k), StepInputs(k, values, isRow).Inputs);
        return (values, isRow);
    }

    /// <summary>Step <paramref name="k"/>'s operands broadcast to the shape it works on, and the slots they come from.</summary>
    (Tensor[] Inputs, int[] Reads) StepInputs(int k, Tensor[] values, bool[] isRow)
    {
        int[] reads = IsBinary(k) ? [operands[2 * k], operands[2 * k + 1]] : [operands[2 * k]];
        var shape = reductions[k] == RowReduction.None ? SlotShape(isRow[inputIsRow.Length + k]) : rowShape;
        return ([.. reads.Select(r => values[r].Expand(shape))], reads);
    }

    static RefArray Broadcast(RefArray a, int[] shape)
    {
        if (a.Shape.SequenceEqual(shape)) return a;
        var y = RefArray.Zeros(shape);
        int lead = shape.Length - a.Shape.Length;
        for (int i = 0; i < y.Count; i++)
        {
            var idx = y.Unravel(i);
            var from = new int[a.Shape.Length];
            for (int d = 0; d < from.Length; d++) from[d] = a.Shape[d] == 1 ? 0 : idx[d + lead];
            y.Data[i] = a.Data[a.Ravel(from)];
        }
        return y;
    }
}
