using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Movement;
using Nabla.Primitives.Reduce;

namespace Nabla.Graphs.Passes;

/// <summary>
/// Replaces each group of elementwise ops and reductions along the last dim (sum, amax, amin with the dim kept) whose
/// reduced values are broadcast back into the same rows (softmax, log-softmax, layer norm written from primitives) by
/// one <see cref="FusedRows"/> op, whose CPU kernel reads each row once and keeps it in L1/L2 while it is reduced and
/// used (results are eager code's bits). Every value of a group is a row ([..., n], one shape per group) or a cell
/// ([..., 1]); expands of a cell to its rows, and of scalars or vectors the group reads, vanish into the program.
/// A group needs a reduction (chains without one are <see cref="ElementwiseFusion"/>'s) and follows its rules: a value
/// made inside becomes internal only if nothing outside reads it, it is no result, nothing writes its storage and it
/// does not require grad; no group spans a write, a control-flow op or a custom op.
/// </summary>
/// <example>
/// <code>
/// before:  %1 = amax(%0) ; %2 = expand(%1) ; %3 = sub(%0, %2) ; %4 = exp(%3) ; %5 = sum(%4) ; %6 = expand(%5) ; %7 = div(%4, %6)
/// after:   %7 = fused_rows(%0)
/// </code>
/// </example>
internal sealed class RowFusion : GraphPass
{
    public override GraphPasses Flag => GraphPasses.RowFusion;
    public override string Name => "fuse_rows";

    enum Role { None, Elementwise, Reduction, Broadcast }

    public override string? Run(PassContext context)
    {
        var ops = context.Graph.Ops;
        int moved = MoveSizeReads(context);
        var index = new Index(context);
        var near = NearReduction(index);
        var group = new int[ops.Count];
        Array.Fill(group, -1);
        var fused = new Dictionary<int, GraphOp>();
        var removed = new HashSet<int>();
        for (int last = ops.Count - 1; last >= 0; last--)
        {
            if (group[last] >= 0 || !near[last] || RowShapeFrom(last, index) is not { } rowShape || Classify(ops[last], rowShape, index) is Role.None or Role.Broadcast) continue;
            var members = Grow(last, rowShape, index, group);
            var op = members.Count >= 2 && members.Any(k => Classify(ops[k], rowShape, index) == Role.Reduction)
                ? Fuse(members, rowShape, index) : null;
            if (op is null)
            {
                foreach (int k in members) group[k] = -1;
                continue;
            }
            fused[last] = op;
            foreach (int k in members)
                if (k != last) removed.Add(k);
        }
        string sizes = moved > 0 ? $"; moved {moved} size read(s) to earlier values of their shapes" : "";
        if (fused.Count == 0) return moved > 0 ? sizes[2..] : null;
        context.ReplaceOps(fused, removed);
        var programs = fused.OrderBy(f => f.Key).Select(f => "[" + Text((FusedRows)f.Value.Op!) + "]");
        return $"fused {fused.Count} group(s) of {removed.Count + fused.Count} ops: {string.Join(", ", programs)}{sizes}";
    }

    /// <summary>
    /// Makes each size_of that reads a value an elementwise op or a reduction made read the first value of that shape
    /// instead (an argument, mostly): in a graph of fixed sizes it gives the same count, and a mean's size read
    /// (<c>x.Mean(-1)</c> divides by size_of(x)) no longer keeps x out of a group. Returns how many moved.
    /// </summary>
    static int MoveSizeReads(PassContext context)
    {
        var (values, ops) = (context.Graph.Values, context.Graph.Ops);
        if (!ops.Any(op => op.Op is SizeOf)) return 0;
        var producer = new GraphIndex(context.Graph).Producer;
        // Per shape, the values a size read may move to, in the order it prefers them: arguments, then by id.
        var candidates = new Dictionary<Shape, List<int>>();
        foreach (int id in context.Graph.Parameters.Concat(Enumerable.Range(0, values.Count).Where(id => producer[id] >= 0)))
            (candidates.TryGetValue(values[id].Shape, out var list) ? list : candidates[values[id].Shape] = []).Add(id);
        int moved = 0;
        for (int k = 0; k < ops.Count; k++)
        {
            if (ops[k].Op is not SizeOf || ops[k].Inputs.Length != 1) continue;
            int read = ops[k].Inputs[0];
            if (producer[read] < 0 || ops[producer[read]].Op is not { } made || !(made is Sum or Max || ElementwiseFusion.Steps.ContainsKey(made.GetType())))
                continue;
            if (context.DynamicDims)
            {
                // Two values of one traced shape may differ at other sizes: the read moves only up its value's elementwise chain.
                if (ChainSource(read, context.Graph, producer) is var source && source == read) continue;
                ops[k] = ops[k].ReadingFrom([source]);
                moved++;
                continue;
            }
            // An argument of that shape, else the first value an earlier op made.
            foreach (int id in candidates[values[read].Shape])
                if (id != read && producer[id] < k)
                {
                    ops[k] = ops[k].ReadingFrom([id]);
                    moved++;
                    break;
                }
        }
        return moved;
    }

    /// <summary>
    /// The first value of <paramref name="id"/>'s elementwise chain: through each pure elementwise op's input of its output's
    /// shape, back to a value no such op makes. An elementwise op's operands of its shape have that shape at every size (the
    /// shape rules unify them), so a size read of that value counts what the read of <paramref name="id"/> counted.
    /// </summary>
    static int ChainSource(int id, TracedGraph graph, int[] producer)
    {
        while (producer[id] >= 0 && graph.Ops[producer[id]] is { Op: { } op } made && PassContext.IsPureCall(made)
            && ElementwiseFusion.Steps.ContainsKey(op.GetType())
            && made.Inputs.FirstOrDefault(x => x >= 0 && graph.Values[x].Shape.Equals(graph.Values[id].Shape), -1) is var input and >= 0)
            id = input;
        return id;
    }

    /// <summary>The graph's readers, producers and barriers (ops a group may not span: its reads would move past their effects).</summary>
    sealed class Index
    {
        public readonly PassContext Context;
        public readonly StorageClasses Storage;
        public readonly GraphIndex Graph;
        public int[] Producer => Graph.Producer;

        public Index(PassContext context)
        {
            Context = context;
            Storage = context.Storage();
            Graph = new GraphIndex(context.Graph);
        }

        public GraphValue Value(int id) => Context.Graph.Values[id];
    }

    /// <summary>
    /// The row shape of a group ending at op <paramref name="last"/>: a reduction's input shape; an op making rows, its
    /// shape; an op making [..., 1] values, the input shape of a last-dim reduction found behind it (else its own shape).
    /// </summary>
    static int[]? RowShapeFrom(int last, Index index)
    {
        var ops = index.Context.Graph.Ops;
        if (ops[last].Outputs.Length != 1 || ops[last].Outputs[0] < 0) return null;
        var shape = index.Value(ops[last].Outputs[0]).Shape.ToArray();
        if (shape.Length == 0 || shape.Any(d => d == 0)) return null;
        if (ops[last].Op is Sum or Max) return ReducedShape(ops[last]);
        if (shape[^1] != 1) return shape;
        var seen = new HashSet<int>();
        var queue = new Queue<int>([last]);
        while (queue.Count > 0 && seen.Count < 64)
        {
            int k = queue.Dequeue();
            if (!seen.Add(k)) continue;
            if (ReducedShape(ops[k]) is { } rows && rows.Length == shape.Length) return rows;
            if (ops[k].Op is null || !ElementwiseFusion.Steps.ContainsKey(ops[k].Op!.GetType()) && ops[k].Op is not Expand) continue;
            foreach (int id in ops[k].Inputs)
                if (id >= 0 && index.Producer[id] >= 0 && index.Value(id).Shape.Equals(index.Value(ops[last].Outputs[0]).Shape))
                    queue.Enqueue(index.Producer[id]);
        }
        return shape;
    }

    /// <summary>The input shape of a sum or amax/amin over the last dim with the dim kept (null for other ops).</summary>
    static int[]? ReducedShape(GraphOp op) => op.Op switch
    {
        Sum s when s.KeepDim && s.Axes.SequenceEqual([s.InputShape.Length - 1]) => s.InputShape,
        Max m when m.Axes.SequenceEqual([m.InputShape.Length - 1]) => m.InputShape,
        _ => null,
    };

    /// <summary>What <paramref name="op"/> can be in a group over rows of <paramref name="rowShape"/>.</summary>
    static Role Classify(GraphOp op, int[] rowShape, Index index)
    {
        if (op.Kind != GraphOpKind.Call || !PassContext.IsPureCall(op) || op.Outputs.Length != 1 || op.Outputs[0] < 0) return Role.None;
        var y = index.Value(op.Outputs[0]);
        if (y.DType is not (DType.Float32 or DType.Float64) || y.Device != Device.Cpu) return Role.None;
        if (index.Context.RequiresGrad[y.Id] || index.Storage.Written(y.Id)) return Role.None;
        var cellShape = (int[])rowShape.Clone();
        cellShape[^1] = 1;
        bool isRow = y.Shape.Span.SequenceEqual(rowShape), isCell = y.Shape.Span.SequenceEqual(cellShape);
        foreach (int id in op.Inputs)
            if (index.Value(id).DType != y.DType || index.Context.RequiresGrad[id]) return Role.None;
        if (ReducedShape(op) is { } reduced)
            return isCell && reduced.SequenceEqual(rowShape) ? Role.Reduction : Role.None;
        if (!isRow && !isCell) return Role.None;
        if (op.Op is Expand) return Role.Broadcast;
        if (!ElementwiseFusion.Steps.ContainsKey(op.Op!.GetType())) return Role.None;
        return op.Inputs.All(id => index.Value(id).Shape.Equals(y.Shape)) ? Role.Elementwise : Role.None;
    }

    /// <summary>The ops of the group that ends at <paramref name="last"/> (marked in <paramref name="group"/>), in program
    /// order: producers of free values of the last op's dtype that can be steps over rows of <paramref name="rowShape"/>.</summary>
    static List<int> Grow(int last, int[] rowShape, Index index, int[] group)
    {
        var ops = index.Context.Graph.Ops;
        var dtype = index.Value(ops[last].Outputs[0]).DType;
        return index.Graph.Grow(ops, last, group, (p, id) =>
            index.Context.Free(id, index.Storage) && index.Value(id).DType == dtype && Classify(ops[p], rowShape, index) != Role.None);
    }

    /// <summary>
    /// Per op: whether it is a last-dim reduction or an elementwise op or expand with one behind it (through such ops).
    /// Only such an op can end a group (a group needs a reduction), so a long chain without one is not grown from
    /// every op in turn.
    /// </summary>
    static bool[] NearReduction(Index index)
    {
        var ops = index.Context.Graph.Ops;
        var near = new bool[ops.Count];
        for (int k = 0; k < ops.Count; k++)
        {
            if (ReducedShape(ops[k]) is not null) near[k] = true;
            else if (ops[k].Op is { } op && (op is Expand || ElementwiseFusion.Steps.ContainsKey(op.GetType())))
                foreach (int id in ops[k].Inputs)
                    if (id >= 0 && index.Producer[id] is int p && p >= 0 && near[p]) near[k] = true;
        }
        return near;
    }

    /// <summary>
    /// One op running <paramref name="members"/> (program order) as a program: the values read from outside first (each
    /// as the row or cell its readers take it as), then one slot per step; an expand's output is its input's slot. Null
    /// when a step's kind (row or cell) would not be its value's.
    /// </summary>
    static GraphOp? Fuse(List<int> members, int[] rowShape, Index index)
    {
        var ops = index.Context.Graph.Ops;
        var made = members.Select(k => ops[k].Outputs[0]).ToHashSet();
        bool IsRow(int id) => index.Value(id).Shape.Span.SequenceEqual(rowShape);
        var outside = new List<(int Id, bool Row)>();
        foreach (int k in members)
            foreach (int id in ops[k].Inputs)
            {
                var key = (id, ops[k].Op is Expand ? IsRow(ops[k].Outputs[0]) : IsRow(id));
                if (!made.Contains(id) && !outside.Contains(key)) outside.Add(key);
            }
        var slotOf = new Dictionary<int, int>();
        int Slot(int id, bool row) => made.Contains(id) ? slotOf[id] : outside.IndexOf((id, row));
        var steps = new List<(FusedStep Step, RowReduction Reduction, int A, int B, double Scalar, int Value)>();
        foreach (int k in members)
        {
            var op = ops[k];
            int output = op.Outputs[0];
            if (op.Op is Expand)
            {
                slotOf[output] = Slot(op.Inputs[0], IsRow(output));
                continue;
            }
            int a = Slot(op.Inputs[0], IsRow(op.Inputs[0]));
            int b = op.Inputs.Length > 1 ? Slot(op.Inputs[1], IsRow(op.Inputs[1])) : -1;
            var reduction = op.Op switch { Sum => RowReduction.Sum, Max { IsMin: false } => RowReduction.Max, Max => RowReduction.Min, _ => RowReduction.None };
            var step = reduction == RowReduction.None ? ElementwiseFusion.Steps[op.Op!.GetType()] : FusedStep.Add;
            steps.Add((step, reduction, a, b, op.Op is PowScalar pow ? pow.Exponent : 0, output));
            slotOf[output] = outside.Count + steps.Count - 1;
        }
        var fused = new FusedRows((int[])rowShape.Clone(), [.. outside.Select(o => o.Row)], [.. steps.Select(s => s.Step)],
            [.. steps.Select(s => s.Reduction)], [.. steps.SelectMany(s => new[] { s.A, s.B })], [.. steps.Select(s => s.Scalar)]);
        var isRow = fused.SlotIsRow();
        if (rowShape[^1] != 1)
            for (int s = 0; s < steps.Count; s++)
                if (isRow[outside.Count + s] != IsRow(steps[s].Value)) return null;
        return ops[members[^1]].ReadingFrom([.. outside.Select(o => o.Id)], fused);
    }

    static string Text(FusedRows op) => string.Join(" ", op.Steps.Select((step, k) => op.Reductions[k] switch
    {
        RowReduction.Sum => "sum_row",
        RowReduction.Max => "max_row",
        RowReduction.Min => "min_row",
        _ => step == FusedStep.PowScalar ? "pow_scalar" : step.ToString().ToLowerInvariant(),
    }));
}
