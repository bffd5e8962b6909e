namespace Nabla.Graphs.Passes;

/// <summary>
/// Values of a graph grouped by the storage they may share (a view and its base, an alias, a gradient and the tensor it
/// belongs to, what a control-flow or custom op reads and makes), and whether anything in the graph writes a group. A
/// pass never replaces, merges or folds a value whose group is written: a replaced value would then see (or miss) a
/// write that the traced one missed (or saw). Errs towards grouping: an op whose outputs might alias its inputs joins them.
/// </summary>
internal sealed class StorageClasses
{
    readonly int[] _parent;
    readonly bool[] _written;

    public StorageClasses(TracedGraph graph)
    {
        int n = graph.Values.Count;
        _parent = new int[n];
        for (int i = 0; i < n; i++) _parent[i] = i;
        _written = new bool[n];
        var writes = new List<int>();
        foreach (var op in graph.Ops)
        {
            switch (op.Kind)
            {
                case GraphOpKind.Call when PassContext.MayView(op.Op!):
                case GraphOpKind.Alias or GraphOpKind.Transfer or GraphOpKind.GradOf or GraphOpKind.SetGrad:
                    JoinAll(op);
                    break;
                case GraphOpKind.ControlFlow or GraphOpKind.Custom:
                    // Bodies and user code may return their inputs and write what they read.
                    JoinAll(op);
                    writes.AddRange(op.Inputs);
                    break;
                case GraphOpKind.Write:
                    writes.AddRange(op.Written);
                    break;
            }
        }
        foreach (int id in writes) _written[Find(id)] = true;
    }

    /// <summary>Whether something in the graph writes the storage <paramref name="id"/> may share.</summary>
    public bool Written(int id) => _written[Find(id)];

    /// <summary>The id standing for every value <paramref name="id"/> may share storage with (equal for one class).</summary>
    public int ClassOf(int id) => Find(id);

    void JoinAll(GraphOp op)
    {
        int first = -1;
        foreach (int id in op.Inputs.Concat(op.Outputs))
        {
            if (id < 0) continue;
            if (first < 0) first = id;
            else _parent[Find(id)] = Find(first);
        }
    }

    int Find(int id)
    {
        while (_parent[id] != id) id = _parent[id] = _parent[_parent[id]];
        return id;
    }
}
