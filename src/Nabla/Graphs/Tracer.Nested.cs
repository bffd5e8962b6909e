using Nabla.Engine;
using Nabla.Primitives;

namespace Nabla.Graphs;

/// <summary>
/// What the rest of graph mode asks of a running trace: control flow and custom calls recording one op and
/// pausing the trace around their bodies, replay hooks (rebuilt ops, host effects, host-state guards), and the
/// joint graph's backward trace reading the forward trace's values.
/// </summary>
internal sealed partial class Tracer
{
    /// <summary>
    /// Makes the tensors of an earlier trace known before this one starts, as captures: a tensor the code
    /// reaches through them (a raw view of one, as a VJP rule's Detach makes) is then an alias of the known
    /// value, not a capture of its own that would freeze the traced call's data.
    /// </summary>
    public void Preload(IEnumerable<Tensor> known)
    {
        foreach (var t in known)
            if (!_ids.ContainsKey(t)) Capture(t);
    }

    /// <summary>The value id <paramref name="t"/> has in this trace (null: never seen).</summary>
    public int? IdOf(Tensor t) => _ids.TryGetValue(t, out var id) ? id : null;

    /// <summary>See <see cref="ReplayHooks.RebuildWith"/>: how the next op recorded is rebuilt on each replay.</summary>
    internal Func<Primitive>? PendingRebuild;


    /// <summary>A C# effect every replay repeats here (<see cref="ReplayHooks.RecordHostEffect"/>); like a write, it can't be undone.</summary>
    internal void HostEffect(HostAction effect)
    {
        if (Ignoring) return;
        var node = new GraphOp { Kind = GraphOpKind.HostEffect, Effect = effect, SiteSource = Site() };
        _graph.Ops.Add(node);
        _firstWrite ??= node.SiteSource;
    }

    /// <summary>Records a guard on C# state the traced code reads now (see <see cref="HostStateGuard"/>).</summary>
    public void GuardHostState(string what, Func<string[]> probe)
    {
        // The same state read again (a module's mode at every layer call) needs one guard: delegates of
        // one method on one object are equal.
        foreach (var g in _graph.HostGuards)
            if (g.Probe.Equals(probe)) return;
        _graph.HostGuards.Add(new HostStateGuard(what, Site().Text, probe, probe()));
    }

    // Hooks for Graph.Cond / WhileLoop / Scan (ControlFlow.cs): they pause the tracers, trace their bodies
    // with nested tracers, and record one op here.
    internal bool Recording => !Ignoring;
    internal bool FirstTrace => _firstTrace;
    internal bool FullGraph => _fullGraph;

    /// <summary>Whether this trace records every op's line (a body traced inside it does too).</summary>
    internal bool AllSites => _allSites;

    /// <summary>The tracers observing this flow, recording or paused (null: none; nothing is allocated then).</summary>
    internal static List<Tracer>? Running()
    {
        if (Dispatch.Observers is not { } observers) return null;
        List<Tracer>? running = null;
        foreach (var o in observers)
            if (o is Tracer tracer) (running ??= []).Add(tracer);
        return running;
    }

    /// <summary>The tracers that record in this flow (null: none, the code runs eagerly).</summary>
    internal static List<Tracer>? RecordingTracers() =>
        Running()?.Where(t => t.Recording).ToList() is { Count: > 0 } recording ? recording : null;

    /// <summary>Pauses every one of <paramref name="tracers"/> until the result is disposed.</summary>
    internal static IDisposable PauseAll(IEnumerable<Tracer> tracers)
    {
        var scopes = tracers.Select(t => t.Pause()).ToArray();
        return new RunOnce(() => { foreach (var s in scopes) s.Dispose(); });
    }

    /// <summary>Nothing is recorded until the result is disposed (control-flow bodies, <see cref="ReplayHooks.Lifted"/>).</summary>
    internal IDisposable Pause() { _paused++; return new RunOnce(() => _paused--); }
    internal void GiveUp(string reason) => NotTraceable(reason);
    internal IReadOnlyList<Tensor> TracedTensors => _tensors;
    HashSet<Tensor>? _insideBodies;
    internal void ForbidOutsideBodies(IEnumerable<Tensor> made) => (_insideBodies ??= new(ReferenceEqualityComparer.Instance)).UnionWith(made);

    internal void RecordControlFlow(ControlFlowOp flow, Tensor[] inputs, Tensor[] outputs)
    {
        var ids = Ids(inputs);
        _graph.Ops.Add(new GraphOp
        {
            Kind = GraphOpKind.ControlFlow, Flow = flow, Inputs = ids, Site = flow.Site, GradEnabled = GradMode.Enabled,
            Outputs = [.. outputs.Select(y => Bind(y, _graph.NewValue(y), madeHere: true))],
        });
    }

    Dictionary<Tensor, string>? _madeInCustomCode;
    /// <summary>Tensors a custom function's C# code made (<paramref name="where"/>): the graph has no value for them.</summary>
    internal void MadeInCustomCode(IEnumerable<Tensor> made, string where)
    {
        foreach (var t in made) (_madeInCustomCode ??= new(ReferenceEqualityComparer.Instance))[t] = where;
    }

    /// <summary>Records a CustomFunction call, or its backward, as one op (CustomCalls.cs); its outputs are new values.</summary>
    internal void RecordCustom(CustomCallOp custom, Tensor[] inputs, Tensor[] outputs)
    {
        var ids = Ids(inputs);
        var node = new GraphOp
        {
            Kind = GraphOpKind.Custom, Custom = custom, Inputs = ids, Site = custom.Site, GradEnabled = GradMode.Enabled,
            Outputs = [.. outputs.Select(y => Bind(y, _graph.NewValue(y), madeHere: !_byStorage.ContainsKey(y.Storage)))],
        };
        _graph.Ops.Add(node);
        if (custom.Writes) _firstWrite ??= node.SiteSource;   // MarkDirty: an in-place update, kept in program order
    }
}
