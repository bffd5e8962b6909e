using Nabla.Primitives.Movement;

namespace Nabla.Graphs.Passes;

/// <summary>
/// Drops the private copy a backward pass makes of a leaf's first gradient (<c>clone</c> before <c>.grad =</c>,
/// as PyTorch's AccumulateGrad copies a gradient it can't steal) when what it copies is new data that nothing else
/// reads: a matmul's or elementwise op's result, possibly seen through an alias of the same layout. The copy then
/// is the value itself, so a compiled training step writes each weight's gradient once instead of twice.
/// </summary>
/// <remarks>
/// The copied value must be made by an op that never returns a view (so the gradient shares memory with nothing),
/// be read by the copy alone (so nothing sees it change when the gradient is written into later), and be neither a
/// result nor requiring grad; the copy must run under no-grad and not be a result itself. Eager code's values are
/// the same bits, only one buffer fewer.
/// </remarks>
/// <example>
/// <code>
/// before:  %9 = matmul(%7, %0) ; %10 = alias(%9, strides [3, 1], offset +0) ; %11 = clone(%10) ; %2.grad = %11
/// after:   %9 = matmul(%7, %0) ; %2.grad = %9
/// </code>
/// </example>
internal sealed class GradientCopyElision : GraphPass
{
    public override GraphPasses Flag => GraphPasses.GradientCopies;
    public override string Name => "grad-copies";

    public override string? Run(PassContext context)
    {
        var graph = context.Graph;
        var producers = context.Producers();
        var reads = new int[graph.Values.Count];
        foreach (var op in graph.Ops)
            foreach (int id in op.Inputs) reads[id]++;
        var replaced = new Dictionary<int, int>();
        var dropped = new HashSet<GraphOp>(ReferenceEqualityComparer.Instance);
        foreach (var op in graph.Ops)
        {
            if (op is not { Kind: GraphOpKind.Call, Op: Copy, GradEnabled: false, Outputs.Length: 1 }) continue;
            int copy = op.Outputs[0], source = op.Inputs[0];
            if (context.IsOutput[copy] || context.RequiresGrad[copy] || reads[source] != 1) continue;
            GraphOp? alias = null;
            if (producers[source] is { Kind: GraphOpKind.Alias } a)
            {
                if (!SameLayout(a, graph, context)) continue;
                alias = a;
                source = a.Inputs[0];
                if (reads[source] != 1) continue;
            }
            if (producers[source] is not { Kind: GraphOpKind.Call, Outputs.Length: 1 } maker || !PassContext.IsPureCall(maker)
                || PassContext.MayView(maker.Op!) || maker.Op is Copy) continue;
            if (context.IsOutput[source] || context.RequiresGrad[source] || !context.Contiguous[source]
                || !graph.Values[source].Shape.Equals(graph.Values[copy].Shape) || graph.Values[source].DType != graph.Values[copy].DType) continue;
            replaced[copy] = source;
            dropped.Add(op);
            if (alias is not null) dropped.Add(alias);
        }
        if (replaced.Count == 0) return null;
        graph.Ops.RemoveAll(dropped.Contains);
        context.Substitute(replaced);
        return $"dropped {replaced.Count} gradient copy(ies)";
    }

    /// <summary>Whether an alias is its source as it is: same shape, contiguous strides, no offset, of a contiguous source.</summary>
    static bool SameLayout(GraphOp alias, TracedGraph graph, PassContext context)
    {
        int source = alias.Inputs[0];
        if (!context.Contiguous[source] || context.IsOutput[alias.Outputs[0]] || context.RequiresGrad[alias.Outputs[0]]) return false;
        if (alias.SameLayoutAsSource) return true;
        var (shape, strides, offset) = alias.Layout;
        return offset == 0 && shape.Equals(graph.Values[source].Shape) && strides.AsSpan().SequenceEqual(Shape.ContiguousStrides(shape.Span));
    }
}
