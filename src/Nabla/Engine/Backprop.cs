namespace Nabla.Engine;

/// <summary>
/// The reverse-mode engine (PyTorch's engine.cpp algorithm): find the nodes reachable from the roots
/// (pruned to those that lead to the requested inputs), count dependencies, then run each node when
/// all its incoming gradients are summed, newest first. Without createGraph the rules run under
/// no-grad; with it they are recorded, so the result can be differentiated again. Several roots share
/// one pass, so a node they have in common runs once on the summed gradient. Hooks run around each
/// node in PyTorch's order (see <see cref="NodeHooks"/>).
/// </summary>
internal static class Backprop
{
    [ThreadStatic] static bool _accumulating;
    [ThreadStatic] static GradNode? _running;
    [ThreadStatic] static int _depth;
    [ThreadStatic] static List<Action>? _endCallbacks;

    /// <summary>Whether a backward pass is running on this thread (what it dispatches is part of that pass, not of the code that called it).</summary>
    public static bool InPass => _depth > 0;

    /// <summary>The node whose backward rule is running on this thread (null outside backward), for anomaly messages.</summary>
    public static GradNode? Running => _running;

    /// <summary>True while a pass that fills <c>.Grad</c> runs (<see cref="Tensor.Backward"/>, <see cref="Autograd.Backward"/>), not an <see cref="Autograd.Grad(Tensor, Tensor, Tensor?, bool?, bool, bool?, bool)"/>.</summary>
    public static bool IsAccumulating => _accumulating;

    /// <summary>
    /// Runs <paramref name="callback"/> once the backward pass running on this thread has gone through every node
    /// (PyTorch's Engine.queue_callback): DistributedDataParallel waits there for its gradient all-reduces, so that
    /// <c>loss.Backward()</c> returns with averaged gradients. Callbacks run in the order queued, on this thread, after
    /// the last post-accumulate-grad hook and before <c>Backward</c> returns; one queued by a callback runs too. A pass
    /// that throws drops its callbacks. Only inside a pass (from a hook).
    /// </summary>
    public static void QueueCallback(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (_endCallbacks is null)
            throw new InvalidOperationException("internal: Backprop.QueueCallback is only valid inside a backward pass (from a hook).");
        _endCallbacks.Add(callback);
    }

    /// <summary>
    /// The seed of <paramref name="root"/>: <paramref name="gradient"/> checked against its shape, or ones
    /// for a one-element root. <paramref name="index"/> is the root's position among several (named in
    /// errors by <paramref name="op"/>), or -1 for a single root.
    /// </summary>
    public static Tensor RootGradient(string op, Tensor root, Tensor? gradient, int index = -1)
    {
        string which = index < 0 ? "this output" : $"output {index}";
        if (gradient is null)
        {
            if (root.NumElements != 1)
                throw Errors.State(op,
                    $"a gradient can be created implicitly only for scalar outputs, but {which} has shape {root.Shape}. " +
                    "Pass the gradient of the output (e.g. Tensor.Ones(...) of the same shape), or reduce it with Sum()/Mean() first.");
            return Tensor.OnesLike(root);
        }
        if (!gradient.Shape.Equals(root.Shape))
            throw Errors.Arg(op, $"the gradient of {which} has shape {gradient.Shape} but the output has shape {root.Shape}; they must match.");
        return gradient.DType == root.DType ? gradient : gradient.To(root.DType);
    }

    /// <summary>A private copy of a gradient, so a tensor stored in <c>.Grad</c> never aliases another.</summary>
    public static Tensor Own(Tensor g) => g.CopyData();

    /// <summary>
    /// Runs backward from <paramref name="roots"/> seeded with <paramref name="rootGrads"/>. With
    /// <paramref name="inputs"/> null it accumulates into leaves' <c>.Grad</c>; otherwise it returns the
    /// gradients of <paramref name="inputs"/> and touches no <c>.Grad</c>.
    /// </summary>
    /// <remarks>
    /// With a <paramref name="tape"/>, only the nodes that tape recorded are walked (TF semantics); the
    /// caller has then already checked that roots and inputs are tracked by the tape.
    /// </remarks>
    public static Tensor?[] Run(IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor> rootGrads, IReadOnlyList<Tensor>? inputs,
        bool retainGraph, bool createGraph, bool allowUnused, TapeRecord? tape = null)
    {
        string op = tape is not null ? "GradientTape.Gradient" : inputs is null ? "Backward" : "Autograd.Grad";
        return Execute(op, roots, rootGrads, inputs, accumulate: inputs is null, retainGraph, createGraph, allowUnused, tape);
    }

    /// <summary>
    /// One backward pass from several roots that adds into <c>.Grad</c> (torch.autograd.backward). With
    /// <paramref name="inputs"/>, only those tensors get <c>.Grad</c>: leaves through their accumulator,
    /// non-leaves because they are made to retain their gradient (as PyTorch does, for later passes too).
    /// </summary>
    public static void Accumulate(string op, IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor> rootGrads, IReadOnlyList<Tensor>? inputs,
        bool retainGraph, bool createGraph)
    {
        if (inputs is { Count: 0 })
            throw Errors.Arg(op, "inputs is empty; leave it out (null) to accumulate into every leaf, or list the tensors that should get .Grad.");
        Execute(op, roots, rootGrads, inputs, accumulate: true, retainGraph, createGraph, allowUnused: true, tape: null);
    }

    static Tensor?[] Execute(string op, IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor> rootGrads, IReadOnlyList<Tensor>? inputs,
        bool accumulate, bool retainGraph, bool createGraph, bool allowUnused, TapeRecord? tape)
    {
        Tensor?[] results;
        _depth++;
        try { results = ExecutePass(op, roots, rootGrads, inputs, accumulate, retainGraph, createGraph, allowUnused, tape); }
        finally { _depth--; }
        if (_depth == 0)
            Dispatch.Backward(new BackwardCall(op, [.. roots], [.. rootGrads], inputs is null ? null : [.. inputs], accumulate,
                retainGraph, createGraph, allowUnused, tape is not null), results);
        return results;
    }

    static Tensor?[] ExecutePass(string op, IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor> rootGrads, IReadOnlyList<Tensor>? inputs,
        bool accumulate, bool retainGraph, bool createGraph, bool allowUnused, TapeRecord? tape)
    {
        var rootNodes = new GradNode[roots.Count];
        for (int i = 0; i < roots.Count; i++)
        {
            if (tape is null && !roots[i].RequiresGrad)
                throw Errors.State(op,
                    $"output {i} ({Errors.Describe(roots[i])}) does not require grad and has no GradFn: nothing it was computed from " +
                    "requires grad, or it was computed under NoGrad() or from a Detach()ed tensor.");
            rootNodes[i] = roots[i].GradEdge();
        }

        var captures = new Dictionary<GradNode, List<int>>();
        if (inputs is not null)
            for (int i = 0; i < inputs.Count; i++)
            {
                if (tape is null && !inputs[i].RequiresGrad)
                    throw Errors.State(op, $"input {i} ({Errors.Describe(inputs[i])}) does not require grad, so no gradient can be computed for it: {Explain.WhyNoGradient(inputs[i])}.");
                if (accumulate) inputs[i].RetainGrad();   // no effect on a leaf; a non-leaf gets its .Grad this way
                var node = inputs[i].GradEdge();
                if (!captures.TryGetValue(node, out var list)) captures[node] = list = [];
                list.Add(i);
            }

        var needed = FindNeeded(rootNodes, inputs is null ? null : captures.Keys, tape is null ? null : tape.Allows);
        var dependencies = CountDependencies(needed);
        var buffers = new Dictionary<GradNode, Tensor>();
        var results = new Tensor?[accumulate ? 0 : inputs?.Count ?? 0];
        var ready = new PriorityQueue<GradNode, long>();
        var executed = new List<GradNode>();

        bool wasAccumulating = _accumulating;
        _accumulating = accumulate;
        // A pass inside a hook (a nested backward) has its own callbacks; the outer pass's wait for the outer end.
        var outerCallbacks = _endCallbacks;
        _endCallbacks = [];
        using var mode = GradMode.Set(createGraph);
        try
        {
            for (int i = 0; i < rootNodes.Length; i++)
                if (needed.Contains(rootNodes[i])) AddTo(buffers, rootNodes[i], rootGrads[i]);
            foreach (var node in buffers.Keys)
                if (dependencies.GetValueOrDefault(node) == 0) ready.Enqueue(node, -node.Sequence);

            while (ready.TryDequeue(out var node, out _))
            {
                var g = buffers[node];
                buffers.Remove(node);
                g = NodeHooks.RunTensorHooks(node, g);
                if (!accumulate && captures.TryGetValue(node, out var indices))
                    foreach (var i in indices) results[i] = g;
                // As in PyTorch: Backward runs every node it reaches (a requested input's own node too);
                // Autograd.Grad runs no accumulator and no node past which nothing requested lies.
                if (!accumulate && (node is AccumulateGrad || !LeadsOn(node, needed))) continue;

                var gy = NodeHooks.RunPreHooks(node, g);
                Tensor?[] gxs;
                if (node is AccumulateGrad acc)
                {
                    if (gy is not null) AccumulateLeaf(acc, gy, createGraph);
                    gxs = [];
                }
                else if (gy is null) gxs = new Tensor?[node.Next.Length];   // a pre-hook removed the gradient
                else
                {
                    var outer = _running;
                    _running = node;
                    try { gxs = node.Apply(gy, NeededInputs(node, needed)); }
                    finally { _running = outer; }
                }
                if (node is not AccumulateGrad) executed.Add(node);
                gxs = NodeHooks.RunPostHooks(node, gxs, gy);
                Send(node, gxs, needed, dependencies, buffers, ready);
            }
            // Indexed, not foreach: a callback may queue another.
            for (int i = 0; i < _endCallbacks.Count; i++) _endCallbacks[i]();
        }
        finally
        {
            _endCallbacks = outerCallbacks;
            _accumulating = wasAccumulating;
            if (!retainGraph)
                foreach (var node in executed)
                    if (!TapeRecord.KeepsSaved(node)) node.Release();   // a tape may still walk it
        }

        if (inputs is not null && !accumulate && !allowUnused)
            for (int i = 0; i < results.Length; i++)
                if (results[i] is null)
                    throw Errors.State(op,
                        $"input {i} ({Errors.Describe(inputs[i])}) was not used to compute the outputs: " +
                        $"{Explain.WhyUnconnected(roots, inputs[i], tape)}. Pass allowUnused: true to get null for it instead.");
        return results;
    }

    /// <summary>Adds each input gradient to its next node's buffer and queues the nodes that have all their gradients.</summary>
    static void Send(GradNode node, Tensor?[] gxs, HashSet<GradNode> needed, Dictionary<GradNode, int> dependencies,
        Dictionary<GradNode, Tensor> buffers, PriorityQueue<GradNode, long> ready)
    {
        for (int i = 0; i < node.Next.Length; i++)
        {
            var next = node.Next[i];
            if (next is null || !needed.Contains(next)) continue;
            if (gxs[i] is { } gx)
            {
                if (GradMode.AnomalyDetection) Anomaly.CheckBackward(node, i, gx);
                AddTo(buffers, next, gx);
            }
            if (--dependencies[next] == 0)
            {
                if (buffers.ContainsKey(next)) ready.Enqueue(next, -next.Sequence);
                else ReleaseUnreached(next, dependencies, needed, buffers, ready);
            }
        }
    }

    // A node all of whose incoming gradients were null (e.g. non-differentiable paths): its
    // successors still wait on it, so count it as done without running it.
    static void ReleaseUnreached(GradNode node, Dictionary<GradNode, int> deps, HashSet<GradNode> needed,
        Dictionary<GradNode, Tensor> buffers, PriorityQueue<GradNode, long> ready)
    {
        foreach (var next in node.Next)
        {
            if (next is null || !needed.Contains(next)) continue;
            if (--deps[next] == 0)
            {
                if (buffers.ContainsKey(next)) ready.Enqueue(next, -next.Sequence);
                else ReleaseUnreached(next, deps, needed, buffers, ready);
            }
        }
    }

    /// <summary>Which of the node's inputs lead to a needed node: the others' gradients would be dropped, so rules may skip them.</summary>
    static bool[] NeededInputs(GradNode node, HashSet<GradNode> needed)
    {
        var mask = new bool[node.Next.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = node.Next[i] is { } next && needed.Contains(next);
        return mask;
    }

    static bool LeadsOn(GradNode node, HashSet<GradNode> needed)
    {
        foreach (var next in node.Next)
            if (next is not null && needed.Contains(next)) return true;
        return false;
    }

    static void AccumulateLeaf(AccumulateGrad acc, Tensor g, bool createGraph)
    {
        // Only leaves that asked for gradients themselves get .Grad: not a leaf a tape merely watches, nor
        // a view that requires grad only through its base (PyTorch gives such a view no grad accumulator).
        if (!acc.Leaf.AskedForGrad) return;
        // Passes running on several threads may reach one leaf at once (Hogwild-style training, or graphs
        // that share a parameter): the read-add-write of .Grad must not interleave, or a gradient is lost.
        // As PyTorch's AccumulateGrad, take the leaf's own lock around the sum and the post-accumulate
        // hooks, so each hook sees .Grad holding its own pass's gradient. Once per leaf per pass, not per op,
        // and uncontended in single-threaded code (tens of nanoseconds next to the in-place add it guards).
        lock (acc.Gate)
        {
            acc.Leaf.AccumulateGradient(g, createGraph);
            if (acc.PostAccumulateHooks is { } hooks)
                foreach (var hook in hooks.ToArray()) hook(acc.Leaf);
        }
    }

    static void AddTo(Dictionary<GradNode, Tensor> buffers, GradNode node, Tensor g) =>
        buffers[node] = buffers.TryGetValue(node, out var sum) ? sum + g : g;

    /// <summary>Nodes reachable from the roots that lead to a capture (all reachable nodes when accumulating).</summary>
    /// <remarks>
    /// With <paramref name="allowed"/> (a tape's filter), a node it rejects is a dead end unless it is a
    /// capture, and a capture it rejects is not walked past.
    /// </remarks>
    static HashSet<GradNode> FindNeeded(GradNode[] roots, IEnumerable<GradNode>? captures, Func<GradNode, bool>? allowed = null)
    {
        var captureSet = captures is null ? null : new HashSet<GradNode>(captures);
        bool Walkable(GradNode n) => allowed is null || allowed(n);
        bool Enterable(GradNode n) => Walkable(n) || (captureSet?.Contains(n) ?? false);
        var reachable = new HashSet<GradNode>();
        var parents = new Dictionary<GradNode, List<GradNode>>();
        var stack = new Stack<GradNode>();
        foreach (var r in roots)
            if (Enterable(r) && reachable.Add(r)) stack.Push(r);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (!Walkable(node)) continue;
            foreach (var next in node.Next)
            {
                if (next is null || !Enterable(next)) continue;
                if (captures is not null)
                {
                    if (!parents.TryGetValue(next, out var ps)) parents[next] = ps = [];
                    ps.Add(node);
                }
                if (reachable.Add(next)) stack.Push(next);
            }
        }
        if (captures is null) return reachable;

        var needed = new HashSet<GradNode>();
        foreach (var c in captureSet!)
            if (reachable.Contains(c) && needed.Add(c)) stack.Push(c);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (!parents.TryGetValue(node, out var ps)) continue;
            foreach (var p in ps)
                if (needed.Add(p)) stack.Push(p);
        }
        return needed;
    }

    static Dictionary<GradNode, int> CountDependencies(HashSet<GradNode> needed)
    {
        var deps = new Dictionary<GradNode, int>();
        foreach (var node in needed)
            foreach (var next in node.Next)
                if (next is not null && needed.Contains(next))
                    deps[next] = deps.GetValueOrDefault(next) + 1;
        return deps;
    }
}
