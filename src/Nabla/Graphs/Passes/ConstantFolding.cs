using Nabla.Engine;

namespace Nabla.Graphs.Passes;

/// <summary>
/// Computes when compiling the ops whose inputs are all data the function made itself: constants (host data copied into
/// the graph) and fills. Each becomes a constant that a replay copies, computed by the same kernel a replay would run,
/// so its bits are the replay's. Captured tensors are not data of the function (a Variable assigned between calls is
/// read again by every call), nor is anything that requires grad, draws random numbers, is written in place or is a
/// view (a contiguous constant in place of a strided view could change a later reduction's order).
/// </summary>
/// <example>
/// <code>
/// before:  %1 = constant ; %2 = full() ; %3 = expand(%2) ; %4 = mul(%1, %3) ; %5 = add(%0, %4)
/// after:   %4 = constant ; %5 = add(%0, %4)          (after dead code elimination)
/// </code>
/// </example>
internal sealed class ConstantFolding : GraphPass
{
    /// <summary>
    /// The most elements a folded constant may have: the graph keeps each one for its lifetime, and a replay copies it,
    /// which for large data costs about what computing it costs.
    /// </summary>
    const long MaxElements = 1 << 20;

    public override GraphPasses Flag => GraphPasses.ConstantFolding;
    public override string Name => "fold";

    public override string? Run(PassContext context)
    {
        var graph = context.Graph;
        var storage = context.Storage();
        var known = new Dictionary<int, Tensor>();
        // Fills and views of known data: computed only when an op that folds reads them (they stay ops; dead code goes later).
        var pending = new Dictionary<int, GraphOp>();
        int folded = 0;
        for (int k = 0; k < graph.Ops.Count; k++)
        {
            var op = graph.Ops[k];
            if (op.Outputs.Length != 1 || op.Outputs[0] < 0 || storage.Written(op.Outputs[0])) continue;
            int y = op.Outputs[0];
            if (op.Kind == GraphOpKind.Constant && !op.RequiresGrad && op.Constant is { } data) known[y] = data;
            // A fill's shape may follow a dynamic dim (ones_like(x)): only a graph of fixed sizes may freeze it.
            else if (op.Kind == GraphOpKind.Create && !context.DynamicDims && PassContext.IsPureCall(op)) pending[y] = op;
            else if (!ReadsOnlyData(op, known, pending)) continue;
            else if (PassContext.MayView(op.Op!)) pending[y] = op;
            else if (Foldable(op, context) && Compute(op, known, pending) is { } result && Matches(result, graph.Values[y]))
            {
                graph.Ops[k] = new GraphOp { Kind = GraphOpKind.Constant, Outputs = op.Outputs, SiteSource = op.SiteSource, GradEnabled = op.GradEnabled, Constant = result };
                known[y] = result;
                folded++;
            }
        }
        return folded == 0 ? null : $"folded {folded} op(s)";
    }

    /// <summary>Whether <paramref name="op"/> is a pure primitive call reading only data the function made.</summary>
    static bool ReadsOnlyData(GraphOp op, Dictionary<int, Tensor> known, Dictionary<int, GraphOp> pending)
    {
        if (op.Kind != GraphOpKind.Call || !PassContext.IsPureCall(op) || op.Op!.OutputCount != 1) return false;
        foreach (int id in op.Inputs)
            if (!known.ContainsKey(id) && !pending.ContainsKey(id)) return false;
        return true;
    }

    static bool Foldable(GraphOp op, PassContext context)
    {
        int y = op.Outputs[0];
        return !context.RequiresGrad[y] && context.Contiguous[y] && context.Graph.Values[y].Shape.NumElements <= MaxElements;
    }

    static bool Matches(Tensor t, GraphValue traced) => t.Shape.Equals(traced.Shape) && t.DType == traced.DType && t.IsContiguous;

    /// <summary>The op's result on the data it reads, by the kernel a replay would run (fills and views computed first, once).</summary>
    static Tensor Compute(GraphOp op, Dictionary<int, Tensor> known, Dictionary<int, GraphOp> pending)
    {
        var inputs = new Tensor[op.Inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            int id = op.Inputs[i];
            if (!known.TryGetValue(id, out var t))
            {
                var maker = pending[id];
                known[id] = t = maker.Kind == GraphOpKind.Create
                    ? Dispatch.CreateUnobserved(ReplayHooks.PrimitiveFor(maker), maker.Device)
                    : Compute(maker, known, pending);
            }
            inputs[i] = t;
        }
        KernelCache cache = default;
        // Shown to no interpreter: an outer trace (a compiled function traced inside another) must not record it.
        return Dispatch.CallUnobserved(ReplayHooks.PrimitiveFor(op), inputs, ref cache);
    }
}
