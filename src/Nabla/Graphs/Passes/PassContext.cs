using Nabla.Primitives;

namespace Nabla.Graphs.Passes;

/// <summary>
/// What the passes of one trace know about its values, taken from the traced tensors once (the traced tensors
/// themselves are not kept): which required grad and which were contiguous when traced (a replay under the same
/// signature makes the same), and which are results. Plus the helpers every pass shares: the op that makes each
/// value, which values share storage with a written one, and replacing one value by another in every op.
/// </summary>
internal sealed class PassContext
{
    public PassContext(TracedGraph graph, IReadOnlyList<Tensor> traced, bool dynamicDims)
    {
        Graph = graph;
        DynamicDims = dynamicDims;
        int n = graph.Values.Count;
        RequiresGrad = new bool[n];
        Contiguous = new bool[n];
        IsOutput = new bool[n];
        for (int id = 0; id < n; id++)
        {
            RequiresGrad[id] = traced[id].RequiresGrad;
            Contiguous[id] = traced[id].IsContiguous;
        }
        foreach (int id in graph.Outputs) IsOutput[id] = true;
    }

    public TracedGraph Graph { get; }

    /// <summary>Whether the trace generalizes over dynamic dims afterwards: ops that hold sizes must stay ops then.</summary>
    public bool DynamicDims { get; }

    /// <summary>
    /// Whether each value required grad when traced (as it was at the end of the trace: an in-place update can only add
    /// that, so this errs towards leaving a value alone). A rewrite of a value that requires grad would change how the
    /// caller's backward sums gradients (equal to rounding, not bitwise), so passes leave such values as traced.
    /// </summary>
    public bool[] RequiresGrad { get; }

    /// <summary>Whether each value was contiguous when traced: replacing a value by one of another layout could change a reduction's order.</summary>
    public bool[] Contiguous { get; }

    /// <summary>Whether each value is a result of the function (the caller must get a tensor of its own, as eager code gives).</summary>
    public bool[] IsOutput { get; }

    /// <summary>The op that makes each value now (null: an argument, a capture, or made by no op any more).</summary>
    public GraphOp?[] Producers()
    {
        var made = new GraphOp?[Graph.Values.Count];
        foreach (var op in Graph.Ops)
            foreach (int id in op.Outputs)
                if (id >= 0) made[id] = op;
        return made;
    }

    /// <summary>Which values share storage with each other and which storage something writes, for the graph as it is now.</summary>
    /// <remarks>Built once and kept until a pass changes the graph (<see cref="GraphChanged"/>): most passes change nothing in a small graph.</remarks>
    public StorageClasses Storage() => _storage ??= new(Graph);

    StorageClasses? _storage;

    /// <summary>A pass rewrote the ops: what was derived from them (<see cref="Storage"/>) is built again when next asked.</summary>
    public void GraphChanged() => _storage = null;

    /// <summary>Whether a pass may replace or merge <paramref name="id"/>: not a result, not requiring grad, no write to its storage.</summary>
    public bool Free(int id, StorageClasses storage) => !IsOutput[id] && !RequiresGrad[id] && !storage.Written(id);

    /// <summary>
    /// Rewrites the op list: op k becomes <paramref name="replaced"/>[k] where there is one, and the ops in
    /// <paramref name="removed"/> go (indices into the list as it stands).
    /// </summary>
    public void ReplaceOps(Dictionary<int, GraphOp> replaced, HashSet<int> removed)
    {
        var ops = Graph.Ops;
        var kept = new List<GraphOp>(ops.Count - removed.Count);
        for (int k = 0; k < ops.Count; k++)
            if (!removed.Contains(k)) kept.Add(replaced.TryGetValue(k, out var op) ? op : ops[k]);
        ops.Clear();
        ops.AddRange(kept);
        GraphChanged();
    }

    /// <summary>Every op reading a key of <paramref name="replaced"/> reads its value instead (chains followed).</summary>
    public void Substitute(Dictionary<int, int> replaced)
    {
        if (replaced.Count == 0) return;
        GraphChanged();
        var ops = Graph.Ops;
        for (int k = 0; k < ops.Count; k++)
            if (Rewired(ops[k].Inputs, replaced) is { } inputs) ops[k] = ops[k].ReadingFrom(inputs);
    }

    /// <summary>The inputs with replaced values swapped for what replaces them, or null when none is replaced.</summary>
    public static int[]? Rewired(int[] inputs, Dictionary<int, int> replaced)
    {
        int[]? copy = null;
        for (int i = 0; i < inputs.Length; i++)
        {
            int id = inputs[i];
            while (replaced.TryGetValue(id, out int next)) id = next;
            if (id == inputs[i]) continue;
            copy ??= (int[])inputs.Clone();
            copy[i] = id;
        }
        return copy;
    }

    /// <summary>Whether <paramref name="op"/> is an op a pass may compute anew or not at all: a primitive call with no draw, no C# rebuild, no leaf made.</summary>
    public static bool IsPureCall(GraphOp op) =>
        op.Kind is GraphOpKind.Call or GraphOpKind.Create && op.Op is not null and not Primitives.Random.IRandomDraws
        && op.DrawSource is null && op.Rebuild is null && !op.RequiresGrad;

    /// <summary>Whether ops of <paramref name="op"/>'s type may return a view of their input instead of new data.</summary>
    public static bool MayView(Primitive op) => op.HasViewForm;
}
