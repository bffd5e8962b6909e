using Nabla.Primitives;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Special;

namespace Nabla.Graphs.Passes;

/// <summary>
/// Replaces each group of two or more elementwise ops on one float dtype (float32 or float64) and one shape by one
/// <see cref="FusedElementwise"/> op, whose CPU kernel computes each step as its eager kernel does (a generated vector
/// loop with the intermediates in registers, or the span kernels tile by tile in L1), so results are eager code's bits. A group is grown backwards from its last op: a value made inside the
/// group becomes internal only if nothing outside the group reads it, it is no result, nothing writes its storage and it
/// does not require grad. An op may read a value that requires grad only where it ran with grad off (under NoGrad), and
/// a group with such reads runs in one grad mode. No group spans a write, a control-flow op or a custom op (its reads would move past them).
/// Then a group joins a later group that reads its value (<see cref="MergeGroups"/>): the merged op has several outputs,
/// every member value read outside it or returned, all made in one pass.
/// The kernel checks at run time that each input is contiguous or a broadcast scalar, else it runs the steps one by one.
/// </summary>
/// <example>
/// <code>
/// before:  %1 = exp(%0) ; %2 = mul(%1, %0) ; %5 = add(%2, %4)
/// after:   %5 = fused_elementwise(%0, %4)
/// before:  %1 = mul(%0, %0) ; %2 = add(%1, %4) ; %3 = sqrt(%2) ; return %1, %3
/// after:   %1, %3 = fused_elementwise(%0, %4)
/// </code>
/// </example>
internal sealed partial class ElementwiseFusion : GraphPass
{
    public override GraphPasses Flag => GraphPasses.Fusion;
    public override string Name => "fuse";

    /// <summary>The step each fusable elementwise primitive is (also <see cref="RowFusion"/>'s).</summary>
    internal static readonly Dictionary<Type, FusedStep> Steps = new()
    {
        [typeof(Add)] = FusedStep.Add, [typeof(Sub)] = FusedStep.Sub, [typeof(Mul)] = FusedStep.Mul, [typeof(Div)] = FusedStep.Div,
        [typeof(Maximum)] = FusedStep.Maximum, [typeof(Minimum)] = FusedStep.Minimum, [typeof(Pow)] = FusedStep.Pow,
        [typeof(Neg)] = FusedStep.Neg, [typeof(Abs)] = FusedStep.Abs, [typeof(Relu)] = FusedStep.Relu, [typeof(Sqrt)] = FusedStep.Sqrt,
        [typeof(Exp)] = FusedStep.Exp, [typeof(Log)] = FusedStep.Log, [typeof(Sin)] = FusedStep.Sin, [typeof(Cos)] = FusedStep.Cos,
        [typeof(Tan)] = FusedStep.Tan, [typeof(Tanh)] = FusedStep.Tanh, [typeof(Sigmoid)] = FusedStep.Sigmoid,
        [typeof(Erf)] = FusedStep.Erf, [typeof(Gelu)] = FusedStep.Gelu, [typeof(PowScalar)] = FusedStep.PowScalar,
    };

    public override string? Run(PassContext context)
    {
        var graph = context.Graph;
        var ops = graph.Ops;
        var storage = context.Storage();
        var index = new GraphIndex(graph);

        var group = new int[ops.Count];
        Array.Fill(group, -1);
        var groups = new List<List<int>>();
        for (int last = ops.Count - 1; last >= 0; last--)
        {
            if (group[last] >= 0 || !Fusable(ops[last], context, storage)) continue;
            var members = Grow(last, index, context, storage, group);
            if (!OneGradMode(members, ops, context))
            {
                foreach (int k in members) group[k] = -1;
                continue;
            }
            groups.Add(members);   // one op alone too: it may still join a group that reads its value (MergeGroups)
        }
        var fused = new Dictionary<int, GraphOp>();   // the last op's index -> the fused op
        var removed = new HashSet<int>();
        foreach (var members in MergeGroups(groups, index, context))
        {
            if (members.Count < 2) continue;
            fused[members[^1]] = Fuse(members, ops, index, context);
            foreach (int k in members)
                if (k != members[^1]) removed.Add(k);
        }
        if (fused.Count == 0) return null;
        context.ReplaceOps(fused, removed);
        var programs = fused.OrderBy(f => f.Key).Select(f => (FusedElementwise)f.Value.Op!)
            .Select(p => "[" + string.Join(" ", p.Steps.Select(Text)) + "]" + (p.OutputCount > 1 ? $" ({p.OutputCount} outputs)" : ""));
        return $"fused {fused.Count} group(s) of {removed.Count + fused.Count} ops: {string.Join(", ", programs)}";
    }

    /// <summary>
    /// The most steps one group takes (a longer chain becomes several groups): a generated kernel keeps every step's
    /// value in a local, and the JIT's time on one method grows much faster than its locals (a 10,000-step program
    /// took minutes to compile).
    /// </summary>
    internal const int MaxSteps = 64;

    /// <summary>The ops of the group that ends at <paramref name="last"/> (marked in <paramref name="group"/>), in program
    /// order: fusable producers of free values of the last op's dtype and shape, at most <see cref="MaxSteps"/> (the
    /// producers left out start groups of their own).</summary>
    static List<int> Grow(int last, GraphIndex index, PassContext context, StorageClasses storage, int[] group)
    {
        var ops = context.Graph.Ops;
        var (shape, dtype) = (context.Graph.Values[ops[last].Outputs[0]].Shape, context.Graph.Values[ops[last].Outputs[0]].DType);
        return index.Grow(ops, last, group, (p, id) =>
            Fusable(ops[p], context, storage) && context.Free(id, storage) &&
            context.Graph.Values[id] is var value && value.DType == dtype && value.Shape.Equals(shape), MaxSteps);
    }

    static string Text(FusedStep step) => step == FusedStep.PowScalar ? "pow_scalar" : step.ToString().ToLowerInvariant();

    static bool Fusable(GraphOp op, PassContext context, StorageClasses storage)
    {
        if (op.Kind != GraphOpKind.Call || !PassContext.IsPureCall(op) || !Steps.ContainsKey(op.Op!.GetType())) return false;
        if (op.Outputs.Length != 1 || op.Outputs[0] < 0) return false;
        var y = context.Graph.Values[op.Outputs[0]];
        if (y.DType is not (DType.Float32 or DType.Float64) || y.Device != Device.Cpu) return false;
        if (context.RequiresGrad[y.Id] || storage.Written(y.Id)) return false;
        foreach (int id in op.Inputs)
        {
            var x = context.Graph.Values[id];
            // An input that requires grad only where the op ran with grad off (as under NoGrad): no tape sees it.
            if (x.DType != y.DType || !x.Shape.Equals(y.Shape) || (context.RequiresGrad[id] && op.GradEnabled)) return false;
        }
        return true;
    }

    /// <summary>
    /// Whether the group may run as one op with its last op's grad mode: every member ran in the same mode, or none reads
    /// a value that requires grad (a fused op recorded with grad on would put such a read on the caller's tape).
    /// </summary>
    static bool OneGradMode(List<int> members, List<GraphOp> ops, PassContext context)
    {
        bool mode = ops[members[^1]].GradEnabled;
        if (members.All(k => ops[k].GradEnabled == mode)) return true;
        return !members.Any(k => ops[k].Inputs.Any(id => context.RequiresGrad[id]));
    }

    /// <summary>
    /// One op running <paramref name="members"/> (program order) as a program: inputs first, then one slot per step; its
    /// outputs are the members' values read outside the group or returned (<see cref="Escapes"/>), and always the last's.
    /// </summary>
    static GraphOp Fuse(List<int> members, List<GraphOp> ops, GraphIndex index, PassContext context)
    {
        var slotOf = new Dictionary<int, int>();
        var inputs = new List<int>();
        var made = members.Select(k => ops[k].Outputs[0]).ToHashSet();
        foreach (int k in members)
            foreach (int id in ops[k].Inputs)
                if (!made.Contains(id) && !slotOf.ContainsKey(id))
                {
                    slotOf[id] = inputs.Count;
                    inputs.Add(id);
                }
        var steps = new FusedStep[members.Count];
        var operands = new int[2 * members.Count];
        var scalars = new double[members.Count];
        var outputs = new List<int>();
        var memberSet = members.ToHashSet();
        for (int s = 0; s < members.Count; s++)
        {
            var op = ops[members[s]];
            steps[s] = Steps[op.Op!.GetType()];
            if (op.Op is PowScalar pow) scalars[s] = pow.Exponent;
            operands[2 * s] = slotOf[op.Inputs[0]];
            operands[2 * s + 1] = op.Inputs.Length > 1 ? slotOf[op.Inputs[1]] : -1;
            slotOf[op.Outputs[0]] = inputs.Count + s;
            if (s == members.Count - 1 || Escapes(op.Outputs[0], memberSet, index, context)) outputs.Add(s);
        }
        var last = ops[members[^1]];
        if (outputs.Count == 1) return last.ReadingFrom([.. inputs], new FusedElementwise(steps, operands, scalars));
        return new GraphOp
        {
            Kind = GraphOpKind.Call, Op = new FusedElementwise(steps, operands, scalars, [.. outputs]), Inputs = [.. inputs],
            Outputs = [.. outputs.Select(s => ops[members[s]].Outputs[0])], SiteSource = last.SiteSource, GradEnabled = last.GradEnabled,
            RecordsForCaller = members.Any(k => ops[k].RecordsForCaller), Device = last.Device,
        };
    }

    /// <summary>Whether value <paramref name="id"/> is read by an op outside <paramref name="members"/> or returned.</summary>
    static bool Escapes(int id, HashSet<int> members, GraphIndex index, PassContext context) =>
        context.IsOutput[id] || index.Readers[id] is { } readers && readers.Any(r => !members.Contains(r));
}
