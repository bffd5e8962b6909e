namespace Nabla.Graphs.Passes;

/// <summary>
/// Whether two values of a graph may share memory in some replay, for a pass that moves a write or forwards its value
/// (<see cref="InPlaceUpdates"/>). Within one storage class (<see cref="StorageClasses"/>: views, aliases, gradients) they
/// may. Across classes only where both reach memory from outside the call: an argument may be any tensor (a parameter
/// handed in), a control-flow or custom op may return any tensor its code holds, and two captures may be views of one
/// storage (a capture is held by reference and keeps its storage and layout, so that is known when compiling). A class
/// of values made by the graph's own ops (not views of outside memory) shares memory with no other class.
/// </summary>
internal sealed class MemoryOverlap
{
    readonly StorageClasses _storage;
    readonly HashSet<int> _unknown = [];                  // classes holding an argument or a control-flow/custom result
    readonly Dictionary<int, List<Tensor>> _captured = [];  // class -> the captured tensors in it

    public MemoryOverlap(TracedGraph graph, StorageClasses storage)
    {
        _storage = storage;
        foreach (int id in graph.Parameters) _unknown.Add(storage.ClassOf(id));
        foreach (var op in graph.Ops)
            if (op.Kind is GraphOpKind.ControlFlow or GraphOpKind.Custom)
                foreach (int id in op.Outputs)
                    if (id >= 0) _unknown.Add(storage.ClassOf(id));
        foreach (var (id, tensor) in graph.Captures)
        {
            int c = storage.ClassOf(id);
            if (!_captured.TryGetValue(c, out var list)) _captured[c] = list = [];
            list.Add(tensor);
        }
    }

    /// <summary>Whether <paramref name="id"/>'s memory is the graph's own (no outside tensor can be it or a view of it).</summary>
    public bool Own(int id)
    {
        int c = _storage.ClassOf(id);
        return !_unknown.Contains(c) && !_captured.ContainsKey(c);
    }

    /// <summary>Whether values <paramref name="a"/> and <paramref name="b"/> may share memory in some replay.</summary>
    public bool May(int a, int b)
    {
        var (ca, cb) = (_storage.ClassOf(a), _storage.ClassOf(b));
        if (ca == cb) return true;
        if (Own(a) || Own(b)) return false;
        if (_unknown.Contains(ca) || _unknown.Contains(cb)) return true;
        foreach (var x in _captured[ca])
            foreach (var y in _captured[cb])
                if (x.SharesStorage(y)) return true;
        return false;
    }
}
