namespace Nabla.Graphs.Passes;

/// <summary>
/// Removes ops whose results nothing later reads (no op, result or guard) and that have no effect of their own. Kept
/// whatever they make: writes, .Grad reads and assignments, guards and checks, C# effects, control flow and custom
/// functions, ops rebuilt from C# state each call, and random draws (a replay must still draw, so the generator stands
/// where eager code leaves it).
/// </summary>
/// <example>
/// <code>
/// before:  %1 = exp(%0) ; %2 = neg(%0) ; return %1
/// after:   %1 = exp(%0) ; return %1
/// </code>
/// </example>
internal sealed class DeadCodeElimination : GraphPass
{
    public override GraphPasses Flag => GraphPasses.DeadCode;
    public override string Name => "dce";

    public override string? Run(PassContext context)
    {
        var graph = context.Graph;
        var live = new bool[graph.Values.Count];
        foreach (int id in graph.Outputs) live[id] = true;
        var kept = new List<GraphOp>(graph.Ops.Count);
        for (int k = graph.Ops.Count - 1; k >= 0; k--)
        {
            var op = graph.Ops[k];
            if (!HasEffect(op) && !AnyLive(op.Outputs, live)) continue;
            kept.Add(op);
            foreach (int id in op.Inputs) live[id] = true;
        }
        int removed = graph.Ops.Count - kept.Count;
        if (removed == 0) return null;
        kept.Reverse();
        graph.Ops.Clear();
        graph.Ops.AddRange(kept);
        return $"removed {removed} op(s)";
    }

    /// <summary>Whether running <paramref name="op"/> does anything besides making its results.</summary>
    static bool HasEffect(GraphOp op) => op.Kind switch
    {
        GraphOpKind.Call or GraphOpKind.Create => !PassContext.IsPureCall(op),
        GraphOpKind.Transfer or GraphOpKind.Alias => false,
        GraphOpKind.Constant => op.RequiresGrad,
        _ => true,
    };

    static bool AnyLive(int[] outputs, bool[] live)
    {
        foreach (int id in outputs)
            if (id >= 0 && live[id]) return true;
        return false;
    }
}
