using Nabla.Engine;

namespace Nabla.Graphs;

/// <summary>
/// How a trace names the tensors it meets: each one is a value of the graph, bound when an op makes it or the function
/// receives it; a tensor seen for the first time is a gradient read from <c>.Grad</c>, an alias of known memory, or a
/// capture from outside the function.
/// </summary>
internal sealed partial class Tracer
{
    int Bind(Tensor t, int id, bool madeHere = false)
    {
        if (t.GradUnobserved is not null) _mayHoldGrad.Add(id);
        _ids[t] = id;
        while (_tensors.Count <= id) _tensors.Add(t);
        _tensors[id] = t;
        _byStorage.TryAdd(t.Storage, id);
        if (madeHere) _madeInside.Add(t.Storage);
        return id;
    }

    /// <summary>The value ids of <paramref name="inputs"/>, in order (a loop: a trace asks it for every op it records).</summary>
    int[] Ids(Tensor[] inputs)
    {
        var ids = new int[inputs.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = Id(inputs[i]);
        return ids;
    }

    /// <summary>The value of <paramref name="t"/>: known, a raw alias of a known value's memory, or a capture.</summary>
    int Id(Tensor t)
    {
        if (_ids.TryGetValue(t, out var id)) return id;
        if (_insideBodies?.Contains(t) == true) throw ControlFlow.UsedOutside(t);
        if (_madeInCustomCode?.TryGetValue(t, out var custom) == true) NotTraceable(CustomCalls.UsedOutside(t, custom));
        // A gradient read from .Grad (an optimizer step): read .Grad again at this point of each run.
        if (GradOwner(t) is int owner)
        {
            var read = new GraphOp { Kind = GraphOpKind.GradOf, Inputs = [owner], SiteSource = Site(), Outputs = [Bind(t, _graph.NewValue(t))] };
            _graph.Ops.Add(read);
            return read.Outputs[0];
        }
        if (t is Variable v)
        {
            if (!_firstTrace && _madeInside.Contains(t.Storage))
                throw Errors.State("Graph.Compile", $"the function created the Variable '{v.Name}' ({Errors.Describe(t)}) while being traced again; " +
                    "as in tf.function, a compiled function may create Variables only on its first trace. Create it outside the function and use it inside.");
            return Capture(t);
        }
        if (_byStorage.TryGetValue(t.Storage, out var source))
        {
            var src = _tensors[source];
            var layout = (t.Shape, (int[])t.Strides.Clone(), t.Offset - src.Offset);
            var node = new GraphOp
            {
                Kind = GraphOpKind.Alias, Inputs = [source], SiteSource = Site(), Cut = t.Cut, Layout = layout,
                SameLayoutAsSource = t.Shape.Equals(src.Shape) && t.Offset == src.Offset && t.Strides.AsSpan().SequenceEqual(src.Strides),
                ReshapesSource = t.Offset == src.Offset && t.NumElements == src.NumElements && t.IsContiguous && src.IsContiguous,
                Outputs = [Bind(t, _graph.NewValue(t), madeHere: _madeInside.Contains(t.Storage))],
                RequiresGrad = t.RequiresGrad && t.IsLeaf,   // Detach() then RequiresGrad = true: a fresh leaf
            };
            _graph.Ops.Add(node);
            return node.Outputs[0];
        }
        return Capture(t);
    }

    /// <summary>
    /// The value whose tensor holds <paramref name="t"/> as its <c>.Grad</c> now (the lowest id), or null. Only values that
    /// held a gradient when bound or were given one since (every assignment of .Grad reaches <see cref="GradAssigned"/>) are
    /// looked at: a scan of every traced tensor for each new capture made a trace quadratic in its captures.
    /// </summary>
    int? GradOwner(Tensor t)
    {
        int? owner = null;
        foreach (int k in _mayHoldGrad)
            if ((owner is null || k < owner) && ReferenceEquals(_tensors[k].GradUnobserved, t)) owner = k;
        return owner;
    }

    readonly HashSet<int> _mayHoldGrad = [];   // value ids whose tensor held or was given a .Grad during the trace

    int Capture(Tensor t)
    {
        int id = Bind(t, _graph.NewValue(t));
        _captureIds.Add(id);
        _graph.Captures.Add((id, t));
        _graph.CaptureRequiresGrad.Add(t.RequiresGrad);
        return id;
    }
}
