namespace Nabla.Graphs;

/// <summary>Which values of a replay may require grad: ops that read none of them record nothing, whatever they are marked.</summary>
internal sealed partial class ReplayBuffers
{
    /// <summary>
    /// Per value: whether it may require grad in a replay with grad on. A replay records an op only when one of its
    /// inputs requires grad (Replay's <c>AnyRequiresGrad</c>), and what requires grad is fixed by the call's arguments
    /// (the signature), the captures (their guard) and the graph itself, so an op none of whose inputs may is as quiet
    /// as one that records nothing for the caller: a training step's ops on its input batch and labels (the first
    /// convolution's im2col, the loss's masks) get buffers too.
    /// </summary>
    /// <remarks>
    /// Conservative where the graph cannot tell: an argument is taken from <paramref name="env"/> (null: every one
    /// may), a <c>.Grad</c> read and a custom or control-flow op's outputs may, and after an in-place write with grad
    /// on that reads one that may (its target, and any view of it, may then require grad), every value may.
    /// </remarks>
    static bool[] MayRequireGrad(TracedGraph graph, Tensor?[]? env)
    {
        var may = new bool[graph.Values.Count];
        foreach (int id in graph.Parameters) may[id] = env?[id]?.RequiresGrad ?? true;
        for (int i = 0; i < graph.Captures.Count; i++) may[graph.Captures[i].Id] = graph.CaptureRequiresGrad[i];
        foreach (var op in graph.Ops)
        {
            bool reads = AnyInput(op, may);
            bool outputs = op.Kind switch
            {
                GraphOpKind.GradOf or GraphOpKind.Custom or GraphOpKind.ControlFlow => true,
                GraphOpKind.Create or GraphOpKind.Constant => op.RequiresGrad,
                _ => op.RequiresGrad || op.GradEnabled && reads,
            };
            if (outputs)
                foreach (int id in op.Outputs)
                    if (id >= 0) may[id] = true;
            if (reads && op.GradEnabled && (op.Kind == GraphOpKind.Write || op.Custom is { Writes: true }))
            {
                Array.Fill(may, true);   // the written tensor's views change too: nothing is known from here on
                break;
            }
        }
        return may;
    }

    static bool AnyInput(GraphOp op, bool[] may)
    {
        foreach (int id in op.Inputs)
            if (may[id]) return true;
        return false;
    }
}
