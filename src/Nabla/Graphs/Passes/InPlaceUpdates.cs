using Nabla.Primitives.Write;

namespace Nabla.Graphs.Passes;

/// <summary>
/// Lets elementwise fusion run across in-place updates (an optimizer's <c>buf.MulInPlace(m).AddInPlace(g)</c>, then
/// <c>p.AddInPlace(buf * -lr)</c>), which trace as an assignment after each op, each a barrier to fusion. Three
/// rewrites, each keeping eager code's bits (every element gets the same operations in the same order):
/// <list type="bullet">
/// <item>Forwarding: an elementwise op that reads a tensor after <c>assign(D, V)</c> reads V instead (D holds exactly V's
/// values then) while nothing may have written D's memory since.</item>
/// <item>Dead writes: an assignment whose destination is assigned again before anything may read its memory goes.</item>
/// <item>Sinking: an assignment moves down past the ops that compute from its value (elementwise ops and the assignments
/// of their values), as long as none of the ops it passes may read or write its destination's memory.</item>
/// </list>
/// Elementwise fusion then finds one chain with no write inside, whose values the assignments right after it take: one
/// fused op with several outputs computed straight into their destinations (<see cref="ReplayBuffers.WriteTargetsOf"/>).
/// Only destinations that are captures (parameters, optimizer state), contiguous, assigned with grad off, and values
/// made by elementwise ops on the graph's own memory are touched; whether two tensors may share memory is
/// <see cref="MemoryOverlap"/>'s question, and control-flow, custom, host-effect and guard ops stop every rewrite.
/// </summary>
/// <example>
/// <code>
/// before:  %3 = mul(%0, %1) ; assign(%0, %3) ; %5 = add(%0, %4) ; assign(%0, %5) ; %7 = mul(%0, %6) ; %8 = add(%2, %7) ; assign(%2, %8)
/// after:   %3 = mul(%0, %1) ; %5 = add(%3, %4) ; %7 = mul(%5, %6) ; %8 = add(%2, %7) ; assign(%2, %8) ; assign(%0, %5)
/// fused:   %5, %8 = fused_elementwise(%0, %1, %4, %6, %2) ; assign(%2, %8) ; assign(%0, %5)
/// </code>
/// </example>
internal sealed class InPlaceUpdates : GraphPass
{
    public override GraphPasses Flag => GraphPasses.InPlaceUpdates;
    public override string Name => "inplace";

    public override string? Run(PassContext context)
    {
        var graph = context.Graph;
        var storage = context.Storage();
        var overlap = new MemoryOverlap(graph, storage);
        var captured = graph.Captures.Select(c => c.Id).ToHashSet();
        var forwarded = new HashSet<GraphOp>(ReferenceEqualityComparer.Instance);
        Forward(context, storage, overlap, captured, forwarded);
        var (dropped, sunk) = SinkWrites(context, storage, overlap, captured);
        ReadBack(context, storage, overlap, captured, forwarded);
        if (forwarded.Count + dropped + sunk == 0) return null;
        context.GraphChanged();
        var done = new List<string>();
        if (forwarded.Count > 0) done.Add($"{forwarded.Count} read(s) of assigned tensors read the assigned values");
        if (dropped > 0) done.Add($"dropped {dropped} overwritten assignment(s)");
        if (sunk > 0) done.Add($"moved {sunk} assignment(s) down");
        return string.Join(", ", done);
    }

    /// <summary>
    /// Whether <paramref name="op"/> is an assignment these rewrites handle: with grad off, of a value <paramref name="v"/>
    /// made by an elementwise op in the graph's own memory (nothing writes it), into a contiguous capture <paramref name="d"/>
    /// of its shape and dtype (no two of its elements share memory: after the write it holds exactly v's values).
    /// </summary>
    static bool Handled(GraphOp op, PassContext context, StorageClasses storage, MemoryOverlap overlap, HashSet<int> captured,
        GraphOp?[] producers, out int d, out int v)
    {
        (d, v) = (-1, -1);
        if (op is not { Kind: GraphOpKind.Write, Op: Assign, GradEnabled: false } || op.Inputs.Length != 2) return false;
        (d, v) = (op.Inputs[0], op.Inputs[1]);
        if (!captured.Contains(d) || !context.Contiguous[d] || d == v) return false;
        var (dv, vv) = (context.Graph.Values[d], context.Graph.Values[v]);
        if (dv.DType != vv.DType || !dv.Shape.Equals(vv.Shape) || dv.Device != vv.Device) return false;
        return producers[v] is { } made && Elementwise(made) && made.Outputs.Length == 1 &&
            overlap.Own(v) && !storage.Written(v) && !context.RequiresGrad[v];
    }

    /// <summary>A pure elementwise op elementwise fusion takes (its inputs all have its shape).</summary>
    static bool Elementwise(GraphOp op) =>
        op.Kind == GraphOpKind.Call && PassContext.IsPureCall(op) && ElementwiseFusion.Steps.ContainsKey(op.Op!.GetType());

    /// <summary>Ops after which nothing is known of any memory (C# code, bodies, a replay that may stop).</summary>
    static bool Opaque(GraphOp op) => op.Kind is GraphOpKind.ControlFlow or GraphOpKind.Custom or GraphOpKind.HostEffect
        or GraphOpKind.Guard or GraphOpKind.GradGuard or GraphOpKind.Check;

    /// <summary>Elementwise reads of an assigned destination read the assigned value, up to the next op that may write that memory.</summary>
    static void Forward(PassContext context, StorageClasses storage, MemoryOverlap overlap, HashSet<int> captured, HashSet<GraphOp> forwarded)
    {
        var ops = context.Graph.Ops;
        var producers = context.Producers();
        for (int w = 0; w < ops.Count; w++)
        {
            if (!Handled(ops[w], context, storage, overlap, captured, producers, out int d, out int v)) continue;
            for (int r = w + 1; r < ops.Count; r++)
            {
                var op = ops[r];
                if (Opaque(op) || op.Kind == GraphOpKind.Write && op.Written.Any(id => overlap.May(id, d))) break;
                if (!Elementwise(op) || Array.IndexOf(op.Inputs, d) < 0 || op.GradEnabled && context.RequiresGrad[d]) continue;
                forwarded.Remove(op);
                forwarded.Add(ops[r] = op.ReadingFrom([.. op.Inputs.Select(id => id == d ? v : id)]));
            }
        }
    }

    /// <summary>
    /// Each handled assignment, in program order: dropped when its destination is assigned again before anything may read
    /// it, else moved down to where <see cref="Reach"/> says.
    /// </summary>
    static (int Dropped, int Sunk) SinkWrites(PassContext context, StorageClasses storage, MemoryOverlap overlap, HashSet<int> captured)
    {
        var ops = context.Graph.Ops;
        var producers = context.Producers();
        int dropped = 0, sunk = 0;
        for (int w = 0; w < ops.Count;)
        {
            if (!Handled(ops[w], context, storage, overlap, captured, producers, out int d, out int v))
            {
                w++;
                continue;
            }
            var (landing, overwritten) = Reach(ops, w, d, v, overlap);
            var write = ops[w];
            if (overwritten)
            {
                ops.RemoveAt(w);
                dropped++;
                continue;
            }
            if (landing > w)
            {
                ops.RemoveAt(w);
                ops.Insert(landing, write);   // just after op `landing`, which moved up by one
                sunk++;
                continue;   // op w is another op now
            }
            w++;
        }
        return (dropped, sunk);
    }

    /// <summary>
    /// Where the assignment <c>assign(d, v)</c> at <paramref name="w"/> moves: it may pass ops that neither read nor write
    /// memory <paramref name="d"/> may share (primitive calls, fills, constants, other assignments), up to the first other
    /// op. It lands just after the last op in that stretch that computes from v (an elementwise op reading v or a value so
    /// computed, or an assignment of one) such that no value so computed up to there is read after it but by assignments
    /// (a chain cut by the write could not fuse), or stays (-1). Overwritten: the stretch ends in an assignment of all of d
    /// from memory not d's, so nothing can see what this one wrote.
    /// </summary>
    static (int Landing, bool Overwritten) Reach(List<GraphOp> ops, int w, int d, int v, MemoryOverlap overlap)
    {
        var derived = new HashSet<int> { v };
        var candidates = new List<int>();
        for (int j = w + 1; j < ops.Count; j++)
        {
            var op = ops[j];
            if (op is { Kind: GraphOpKind.Write, Op: Assign } again && again.Inputs[0] == d)
            {
                if (!overlap.May(again.Inputs[1], d)) return (-1, true);
                break;
            }
            if (op.Kind is not (GraphOpKind.Call or GraphOpKind.Create or GraphOpKind.Constant or GraphOpKind.Write)) break;
            if (op.Inputs.Any(id => id >= 0 && overlap.May(id, d))) break;
            if (!op.Inputs.Any(derived.Contains)) continue;
            if (Elementwise(op)) derived.UnionWith(op.Outputs);
            if (Elementwise(op) || op.Kind == GraphOpKind.Write) candidates.Add(j);
        }
        if (candidates.Count == 0) return (-1, false);
        // The last op (but assignments) reading each computed value, anywhere after the write.
        var lastRead = new Dictionary<int, int>();
        for (int j = w + 1; j < ops.Count; j++)
            if (ops[j].Kind != GraphOpKind.Write)
                foreach (int id in ops[j].Inputs)
                    if (id != v && derived.Contains(id)) lastRead[id] = j;
        int landing = -1, reach = -1;
        foreach (int c in candidates)
        {
            foreach (int id in ops[c].Outputs) reach = Math.Max(reach, lastRead.GetValueOrDefault(id, -1));
            if (reach <= c) landing = c;
        }
        return (landing, false);
    }

    /// <summary>
    /// Forwarded reads of v that are still after <c>assign(d, v)</c> where it ended up read d again (it holds v's values):
    /// a read the assignment did not move past would otherwise keep v from being computed straight into d.
    /// </summary>
    static void ReadBack(PassContext context, StorageClasses storage, MemoryOverlap overlap, HashSet<int> captured, HashSet<GraphOp> forwarded)
    {
        var ops = context.Graph.Ops;
        var producers = context.Producers();
        for (int w = 0; w < ops.Count; w++)
        {
            if (!Handled(ops[w], context, storage, overlap, captured, producers, out int d, out int v)) continue;
            for (int r = w + 1; r < ops.Count; r++)
            {
                var op = ops[r];
                if (Opaque(op) || op.Kind == GraphOpKind.Write && op.Written.Any(id => overlap.May(id, d))) break;
                if (Array.IndexOf(op.Inputs, v) < 0 || !forwarded.Remove(op)) continue;
                ops[r] = op.ReadingFrom([.. op.Inputs.Select(id => id == v ? d : id)]);
            }
        }
    }
}
