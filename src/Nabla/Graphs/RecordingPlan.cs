namespace Nabla.Graphs;

/// <summary>
/// Decides which ops a replay records for reverse mode. When traced, every op ran as eager code does and
/// recorded its node; but a backward pass inside the function is now part of the graph itself (its ops are
/// recorded one by one), so the nodes of the forward ops it consumed serve nobody at replay. Only values
/// that leave the function with a live graph need recording: outputs that require grad (unless the
/// function's own backward freed their graph), in-place writes recorded with grad on (history of captured
/// tensors), and gradients assigned with a graph (createGraph). Their ancestors are recorded as traced;
/// every other op replays under no-grad and allocates no node.
/// </summary>
internal static class RecordingPlan
{
    /// <summary>Sets <see cref="GraphOp.RecordsForCaller"/> on every op and fills <see cref="TracedGraph.ReleasedOutputs"/>.</summary>
    /// <param name="graph">The finished graph.</param>
    /// <param name="traced">The traced tensor of each value id (as it is at the end of the trace).</param>
    public static void Decide(TracedGraph graph, IReadOnlyList<Tensor> traced)
    {
        var needed = new bool[graph.Values.Count];
        for (int i = 0; i < graph.Outputs.Count; i++)
        {
            var t = traced[graph.Outputs[i]];
            if (!t.RequiresGrad) continue;
            if (t.GradFn is { IsReleased: true } freed) graph.ReleasedOutputs.Add((i, freed.Name));
            else needed[graph.Outputs[i]] = true;
        }
        for (int k = graph.Ops.Count - 1; k >= 0; k--)
        {
            var op = graph.Ops[k];
            bool records = op.Kind switch
            {
                GraphOpKind.Write => op.GradEnabled,
                GraphOpKind.SetGrad => op.Inputs.Length > 1 && traced[op.Inputs[1]].RequiresGrad,
                _ => AnyOutput(op, needed, traced, requiringGrad: false),
            };
            // An op that recorded nothing when traced records nothing at replay either (the signature and the
            // captures' guard fix what requires grad): leave it as traced, so only real savings are marked.
            op.RecordsForCaller = records || !AnyOutput(op, needed, traced, requiringGrad: true);
            if (!records) continue;
            foreach (var i in op.Inputs) needed[i] = true;
        }
    }

    /// <summary>Whether an output of <paramref name="op"/> is needed (or, with <paramref name="requiringGrad"/>, required grad when traced).</summary>
    // A loop, not LINQ with a closure: a trace decides this for every op it recorded.
    static bool AnyOutput(GraphOp op, bool[] needed, IReadOnlyList<Tensor> traced, bool requiringGrad)
    {
        foreach (int o in op.Outputs)
            if (o >= 0 && (requiringGrad ? traced[o].RequiresGrad : needed[o])) return true;
        return false;
    }
}
