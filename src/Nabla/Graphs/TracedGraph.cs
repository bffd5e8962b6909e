namespace Nabla.Graphs;

/// <summary>
/// A function's computation as SSA: values, the ops that make them in program order (side effects
/// included), and where values come from: the function's tensor arguments (<see cref="Parameters"/>),
/// tensors made outside the function and used inside (<see cref="Captures"/>, held by reference and read
/// at every run, so a Variable assigned between calls is seen) and ops. The IR is deliberately plain so
/// passes can rewrite it.
/// </summary>
internal sealed class TracedGraph
{
    public List<GraphValue> Values { get; } = [];

    /// <summary>The value id of each tensor argument, in order.</summary>
    public List<int> Parameters { get; } = [];

    /// <summary>Names of the arguments (the lambda's parameter names), for printing.</summary>
    public List<string> ParameterNames { get; } = [];

    /// <summary>Tensors from outside the function, by reference, and the value id each one is.</summary>
    public List<(int Id, Tensor Tensor)> Captures { get; } = [];

    /// <summary>
    /// Whether each capture required grad when traced: the recorded backward passes (which leaves get a
    /// gradient) depend on it, so a replay checks it first and retraces when one changed (a frozen layer).
    /// </summary>
    public List<bool> CaptureRequiresGrad { get; } = [];

    public List<GraphOp> Ops { get; } = [];

    /// <summary>
    /// C# state the traced code read and baked in (an optimizer's step counts and options), checked before
    /// anything runs on every replay; a difference retraces, so no frozen value is ever used silently.
    /// </summary>
    public List<HostStateGuard> HostGuards { get; } = [];

    /// <summary>The value id of each result, in order.</summary>
    public List<int> Outputs { get; } = [];

    /// <summary>
    /// Outputs that required grad but whose graph the function's own backward pass freed when traced (a
    /// training step's loss), with the name of their node: a replay does not record that graph, and gives
    /// them a <see cref="ReleasedNode"/> instead.
    /// </summary>
    public List<(int Index, string NodeName)> ReleasedOutputs { get; } = [];

    /// <summary>The generators the graph's random ops draw from (and the global one), found once when first asked.</summary>
    public IReadOnlyList<Generator> DrawSources => _drawSources ??=
        [.. Ops.Where(o => o.DrawSource is not null).Select(o => o.DrawSource!)
            .Concat(Ops.Where(o => o.Flow is not null).SelectMany(o => o.Flow!.DrawSources)).Append(Generator.Default).Distinct()];

    Generator[]? _drawSources;

    /// <summary>The reverse-mode half of a joint graph (null: replays record a node per op when differentiated).</summary>
    public BackwardGraph? Backward { get; set; }

    /// <summary>Whether the first replay that would use a <see cref="Backward"/> should build it (see <see cref="BackwardGraph.MayServe"/>).</summary>
    public bool BackwardPending { get; set; }

    /// <summary>Whether its joint backward recomputes cheap forward values instead of keeping them (<see cref="GraphPasses.Recompute"/>).</summary>
    public bool RecomputeInBackward { get; set; }

    /// <summary>The value environment replays reuse (see <see cref="Replay.Run"/>), and whether a replay holds it.</summary>
    public Tensor[]? Env;
    public int EnvInUse;

    /// <summary>The buffers quiet replays reuse, one plan per <see cref="ReplayRecording"/> (see <see cref="ReplayBuffers.For"/>).</summary>
    public ReplayBuffers?[]? BufferPlans;

    /// <summary>Guards of every kind (counted once the trace is finished: replays ask on every call).</summary>
    public int GuardCount => _guardCount ??= Ops.Count(o => o.Kind is GraphOpKind.Guard or GraphOpKind.GradGuard) + HostGuards.Count;

    int? _guardCount;

    /// <summary>
    /// A graph with these <paramref name="values"/> and <paramref name="ops"/> and everything else of this one (parameters,
    /// captures, host guards, outputs): a rewrite's "before", a copy for other dynamic sizes. Lists of its own, caches empty.
    /// </summary>
    public TracedGraph With(IEnumerable<GraphValue> values, IEnumerable<GraphOp> ops)
    {
        var g = new TracedGraph();
        g.Values.AddRange(values);
        g.Parameters.AddRange(Parameters);
        g.ParameterNames.AddRange(ParameterNames);
        g.Captures.AddRange(Captures);
        g.CaptureRequiresGrad.AddRange(CaptureRequiresGrad);
        g.Ops.AddRange(ops);
        g.HostGuards.AddRange(HostGuards);
        g.Outputs.AddRange(Outputs);
        g.ReleasedOutputs.AddRange(ReleasedOutputs);
        return g;
    }

    /// <summary>A new value with the layout of <paramref name="t"/>.</summary>
    public int NewValue(Tensor t)
    {
        var v = new GraphValue(Values.Count, t.Shape, t.DType, t.Device);
        Values.Add(v);
        return v.Id;
    }
}

/// <summary>
/// A guard on C# state: <see cref="Probe"/> describes the state as "name=value" items; the replay compares
/// them with <see cref="Expected"/>, taken when the trace read the state at <see cref="Site"/>.
/// </summary>
internal sealed record HostStateGuard(string What, string Site, Func<string[]> Probe, string[] Expected)
{
    /// <summary>The first item that differs now ("what: old -> new"), or null when the state is as traced.</summary>
    public string? Mismatch()
    {
        var now = Probe();
        for (int i = 0; i < Math.Max(now.Length, Expected.Length); i++)
        {
            string? was = i < Expected.Length ? Expected[i] : null, @is = i < now.Length ? now[i] : null;
            if (was != @is) return $"{What}: {was ?? "(nothing)"} -> {@is ?? "(nothing)"}";
        }
        return null;
    }
}
