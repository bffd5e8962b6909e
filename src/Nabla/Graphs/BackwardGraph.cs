using Nabla.Engine;
using Nabla.Graphs.Partition;

namespace Nabla.Graphs;

/// <summary>
/// The reverse-mode half of a joint forward+backward graph (AOTAutograd's role): for a pure traced function
/// whose outputs the caller may differentiate, the graph of the gradients of its inputs, traced once from the
/// primitives' VJP rules. A replay then runs the forward without recording a node per op and gives each
/// differentiable output one <see cref="CompiledCall"/> node, whose backward replays this graph on the values
/// the forward kept (<see cref="SavedIds"/>): the engine walks one node instead of one per op.
/// </summary>
/// <remarks>
/// Its parameters are the cotangents of <see cref="OutputIndices"/>, in order, then the forward values of
/// <see cref="SavedIds"/>; its outputs the gradients of <see cref="InputIds"/> that exist (<see cref="GradSlots"/>).
/// Which forward values it reads is what the forward must keep: everything else a replay may drop.
/// </remarks>
internal sealed class BackwardGraph
{
    public required TracedGraph Graph { get; init; }

    /// <summary>The forward outputs (positions in <see cref="TracedGraph.Outputs"/>) that get a node.</summary>
    public required int[] OutputIndices { get; init; }

    /// <summary>Forward value ids the backward reads, passed after the cotangents.</summary>
    public required int[] SavedIds { get; init; }

    /// <summary>Forward value ids (arguments and captures that require grad) the node sends gradients to.</summary>
    public required int[] InputIds { get; init; }

    /// <summary>For each of <see cref="InputIds"/>: its gradient's position among the graph's outputs, or -1 (none reaches it).</summary>
    public required int[] GradSlots { get; init; }

    /// <summary>What <see cref="RecomputePartition"/> chose (null: it was off, or recomputes nothing here), for Explain.</summary>
    public RecomputePartition.Summary? Partition { get; init; }

    /// <summary>
    /// Traces the backward of <paramref name="forward"/> while the values of one of its runs are alive (a replay
    /// that recorded a node per op): <paramref name="traced"/> gives each value's tensor (null: none), <paramref name="idOf"/> the value id of a tensor. Null
    /// when the graph is not one a joint graph can serve (side effects, leaves made inside, hooks that would fire,
    /// nothing differentiable): replays then record a node per op as eager code does.
    /// </summary>
    public static BackwardGraph? TryBuild(TracedGraph forward, IReadOnlyList<Tensor?> traced, Func<Tensor, int?> idOf)
    {
        if (Dispatch.Observers is not null || ForwardMode.Active || Tapes.Open is not null || GradMode.AnomalyDetection) return null;
        if (!MayServe(forward)) return null;
        var outputs = Enumerable.Range(0, forward.Outputs.Count)
            .Where(i => traced[forward.Outputs[i]] is { RequiresGrad: true, GradFn: { IsReleased: false } }).ToArray();
        // One differentiable output: with several, each would get its own node (a Nabla node has one output),
        // and the caller's engine would add their input gradients in another order than eager code's one
        // pass through the ops (equal to rounding, not bitwise). Those replay with a node per op.
        if (outputs.Length != 1) return null;
        var inputIds = forward.Parameters.Concat(forward.Captures.Select(c => c.Id)).Distinct()
            .Where(id => traced[id]!.RequiresGrad).ToArray();
        if (inputIds.Length == 0) return null;
        var roots = outputs.Select(i => traced[forward.Outputs[i]]!).ToArray();
        var inputs = inputIds.Select(id => traced[id]!).ToArray();
        if (HooksBetween(roots, inputs)) return null;

        Tensor[] cotangents;
        using (Autograd.NoGrad()) cotangents = [.. roots.Select(Tensor.OnesLike)];
        var tracer = new Tracer(cotangents, [.. outputs.Select(i => $"grad_out{i}")], firstTrace: true, fullGraph: false);
        tracer.Preload(traced.OfType<Tensor>());
        Tensor?[] grads;
        // createGraph: the ops are the ones a differentiable backward runs (replays decide whether to record them).
        using (Dispatch.Observe(tracer))
            grads = Autograd.Grad(roots, inputs, cotangents, retainGraph: true, createGraph: true, allowUnused: true);
        if (tracer.Untraceable is not null) return null;
        var slots = new int[grads.Length];
        var made = new List<Tensor>();
        for (int i = 0; i < grads.Length; i++)
        {
            slots[i] = grads[i] is null ? -1 : made.Count;
            if (grads[i] is { } g) made.Add(g);
        }
        var graph = tracer.Finish([.. made]);
        // Forward values the backward read arrive as captures of its trace (all of them were preloaded; keep the
        // ones it uses): make them parameters, fed from the forward.
        var used = new HashSet<int>(graph.Outputs);
        foreach (var op in graph.Ops) used.UnionWith(op.Inputs);
        var saved = new List<int>();
        var captures = graph.Captures.ToList();
        var requires = graph.CaptureRequiresGrad.ToList();
        graph.Captures.Clear();
        graph.CaptureRequiresGrad.Clear();
        for (int i = 0; i < captures.Count; i++)
        {
            if (!used.Contains(captures[i].Id)) continue;
            if (idOf(captures[i].Tensor) is { } id)
            {
                graph.Parameters.Add(captures[i].Id);
                graph.ParameterNames.Add($"saved%{id}");
                saved.Add(id);
            }
            else
            {
                graph.Captures.Add(captures[i]);
                graph.CaptureRequiresGrad.Add(requires[i]);
            }
        }
        var partition = forward.RecomputeInBackward ? RecomputePartition.Apply(forward, graph, outputs.Length, saved) : null;
        return new BackwardGraph
        {
            Graph = graph, OutputIndices = outputs, SavedIds = [.. saved], InputIds = inputIds, GradSlots = slots, Partition = partition,
        };
    }

    /// <summary>
    /// Whether <paramref name="forward"/>'s ops are all ones a joint graph can serve (no side effects, no leaves made
    /// inside, nothing rebuilt from C# state). The backward itself is traced later (<see cref="TryBuild"/>), on the
    /// first replay that would use it: a function never differentiated from outside never pays for it.
    /// </summary>
    public static bool MayServe(TracedGraph forward)
    {
        foreach (var op in forward.Ops)
        {
            bool pure = op.Kind is GraphOpKind.Call or GraphOpKind.Create or GraphOpKind.Transfer or GraphOpKind.Constant
                or GraphOpKind.Alias or GraphOpKind.Check or GraphOpKind.Guard;
            if (!pure || op.RequiresGrad || op.Rebuild is not null) return false;
        }
        return true;
    }

    /// <summary>Whether a hook sits on a node between the roots and the inputs (the trace's own backward would fire it).</summary>
    static bool HooksBetween(Tensor[] roots, Tensor[] inputs)
    {
        var stops = new HashSet<GradNode>(inputs.Where(t => t.GradFn is not null).Select(t => t.GradFn!));
        var seen = new HashSet<GradNode>();
        var stack = new Stack<GradNode>(roots.Select(r => r.GradFn!));
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (!seen.Add(node)) continue;
            if (node.TensorHooks is { Count: > 0 } || node.PreHooks is { Count: > 0 } || node.PostHooks is { Count: > 0 }
                || node.RetainsGradHooks is { Count: > 0 } || node is AccumulateGrad { PostAccumulateHooks.Count: > 0 }) return true;
            if (stops.Contains(node)) continue;
            foreach (var next in node.Next)
                if (next is not null) stack.Push(next);
        }
        return false;
    }
}
