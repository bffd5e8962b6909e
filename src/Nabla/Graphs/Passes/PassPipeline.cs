using System.Runtime.CompilerServices;

namespace Nabla.Graphs.Passes;

/// <summary>
/// Runs the graph passes of <see cref="CompileOptions.Passes"/> on a trace after it is finished and before its first
/// replay (so the joint backward, the dynamic-dims generalization, the replay buffers and a saved file all see the
/// rewritten graph). Folding and simplification come first because they leave ops that merge or die; then dead code; then
/// gradient copies (counting only live readers); then epilogue fusion (before the other fusions, which would take its
/// bias add and activation), row fusion (before elementwise fusion, which would take a row group's elementwise ops);
/// elementwise fusion last, on the ops that are left.
/// </summary>
internal static class PassPipeline
{
    static readonly GraphPass[] Passes =
        [new ConstantFolding(), new AlgebraicSimplification(), new CommonSubexpressionElimination(), new DeadCodeElimination(),
         new GradientCopyElision(), new InPlaceUpdates(), new EpilogueFusion(), new RowFusion(), new ElementwiseFusion()];

    /// <summary>Each rewritten trace as it was traced, for <c>GraphFor(args, optimized: false)</c>.</summary>
    static readonly ConditionalWeakTable<TracedGraph, TracedGraph> Unoptimized = new();

    /// <summary>
    /// Rewrites <paramref name="graph"/> in place. <paramref name="traced"/>: the traced tensor of each value id (read
    /// here, not kept). Returns what the passes did, for the trace's log line ("" when nothing changed).
    /// </summary>
    public static string Run(TracedGraph graph, IReadOnlyList<Tensor> traced, GraphPasses enabled, bool dynamicDims)
    {
        if (enabled == GraphPasses.None || graph.Ops.Count == 0) return "";
        var before = Snapshot(graph);
        var context = new PassContext(graph, traced, dynamicDims);
        var done = new List<string>();
        foreach (var pass in Passes)
            if ((enabled & pass.Flag) != 0 && pass.Run(context) is { } what)
            {
                done.Add($"{pass.Name}: {what}");
                context.GraphChanged();   // a pass that says it did nothing left the ops as they were
            }
        if (done.Count == 0) return "";
        Unoptimized.AddOrUpdate(graph, before);
        return $"passes ({before.Ops.Count} -> {graph.Ops.Count} ops): {string.Join(", ", done)}";
    }

    /// <summary>The trace as it was before the passes rewrote it (itself when they changed nothing).</summary>
    public static TracedGraph Before(TracedGraph graph) => Unoptimized.TryGetValue(graph, out var before) ? before : graph;

    /// <summary>A graph sharing <paramref name="graph"/>'s values and ops, with lists of its own (passes replace ops, never change one).</summary>
    static TracedGraph Snapshot(TracedGraph graph) => graph.With(graph.Values, graph.Ops);
}
