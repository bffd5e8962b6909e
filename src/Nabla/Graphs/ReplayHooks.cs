using Nabla.Engine;
using Nabla.Primitives;

namespace Nabla.Graphs;

/// <summary>A C# action a graph runs at its place in program order on every replay (an optimizer's step count += 1).</summary>
internal sealed record HostAction(string What, Action Run);

/// <summary>
/// How code that keeps C# state next to tensors (an optimizer: learning rates, step counts, lazily made
/// buffers) stays correct inside a compiled function without retracing on every change:
/// <list type="bullet">
/// <item><see cref="RebuildWith"/>: the next op recorded is rebuilt from C# state on every replay (a scalar
/// <c>-lr</c>, Adam's coefficients), instead of baking in the traced primitive's parameters.</item>
/// <item><see cref="RecordHostEffect"/>: a C# effect (<c>state.Step++</c>) is repeated by every replay at its
/// place in the graph, where otherwise it would happen only while tracing.</item>
/// <item><see cref="Lifted"/>: tensors made inside the scope are made once, outside the graph (as
/// tf.init_scope), and the graph reads them by reference: state created on the first call.</item>
/// </list>
/// Each is a no-op when no trace is running, so eager code pays nothing (callers also test
/// <see cref="Graph.IsTracing"/> before building a delegate).
/// </summary>
internal static class ReplayHooks
{
    /// <summary>
    /// While the scope is open, the next op a trace records (a Call, Create or Write) is built on every replay
    /// by <paramref name="make"/>, which reads the C# state of that moment. <paramref name="make"/> must build
    /// a primitive of the same type as the traced one (checked when recorded). No-op when not tracing.
    /// </summary>
    public static IDisposable? RebuildWith(Func<Primitive> make)
    {
        if (Tracer.Running() is not { } tracers) return null;
        foreach (var t in tracers) t.PendingRebuild = make;
        return new RunOnce(() => { foreach (var t in tracers) t.PendingRebuild = null; });
    }

    /// <summary>
    /// Records (only while tracing) that every replay runs <paramref name="effect"/> at this point of the
    /// graph; the caller runs it itself now, as eager code does. <paramref name="what"/> is shown in printed graphs.
    /// </summary>
    public static void RecordHostEffect(string what, Action effect)
    {
        foreach (var t in Tracer.Running() ?? []) t.HostEffect(new HostAction(what, effect));
    }

    /// <summary>
    /// While the scope is open, no trace records anything: tensors made here are outside every graph, and
    /// a graph that uses them later reads them by reference (as captures). For state made on a first call
    /// and kept (tf.init_scope's role), never for values that must be recomputed per call. Null when not tracing.
    /// </summary>
    public static IDisposable? Lifted() => Tracer.Running() is { } tracers ? Tracer.PauseAll(tracers) : null;

    /// <summary>
    /// The rebuild a tracer attaches to the op it records now, taken from <paramref name="pending"/> (which is
    /// cleared); throws when it builds another kind of primitive than the traced <paramref name="op"/>.
    /// </summary>
    public static Func<Primitive>? Take(ref Func<Primitive>? pending, Primitive op)
    {
        if (pending is not { } make) return null;
        pending = null;
        var built = make();
        if (built.GetType() != op.GetType())
            throw new InvalidOperationException($"internal: a rebuild scope meant for a {built.Name} op was attached to a {op.Name} op; " +
                "open ReplayHooks.RebuildWith just around the call that makes the op.");
        return make;
    }

    /// <summary>
    /// The primitive a replay runs for <paramref name="op"/>: rebuilt from C# state when it has a rebuild (and
    /// then handed on to a trace running around this replay, so that graph rebuilds it too), else a fresh copy.
    /// </summary>
    public static Primitive PrimitiveFor(GraphOp op)
    {
        if (op.Rebuild is not { } make) return op.Op!.ForReplay();
        foreach (var t in Tracer.Running() ?? []) t.PendingRebuild = make;   // taken by the op recorded next: this one
        return make();
    }

    /// <summary>Runs a host effect on a replay, and records it into a trace running around this replay.</summary>
    public static void RunEffect(GraphOp op)
    {
        var effect = op.Effect!;
        effect.Run();
        RecordHostEffect(effect.What, effect.Run);
    }
}
