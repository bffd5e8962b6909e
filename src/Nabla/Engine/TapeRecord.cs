using System.Runtime.CompilerServices;

namespace Nabla.Engine;

/// <summary>
/// What one TF-style tape saw: the tensors it watches and the nodes recorded while it was active
/// on a watched tensor or on a result of its own nodes. A tape gradient walks only these nodes, so
/// ops recorded outside the tape or on unwatched tensors don't count, exactly as in TensorFlow.
/// </summary>
internal sealed class TapeRecord
{
    // Ops of tasks started inside a tape's scope record into it concurrently (the tape flows into them),
    // so the sets are guarded; the lock is uncontended in the usual single-flow case.
    readonly object _gate = new();
    readonly HashSet<GradNode> _nodes = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<Tensor> _watched = new(ReferenceEqualityComparer.Instance);
    readonly List<Tensor> _watchOrder = [];
    readonly WeakReference<TapeRecord> _self;

    // Which tapes recorded a node, weakly: a Backward without retainGraph must not free the saved values
    // of nodes a tape may still walk (tapes and RequiresGrad coexist), but a dropped tape protects nothing.
    static readonly ConditionalWeakTable<GradNode, List<WeakReference<TapeRecord>>> Holders = new();

    public TapeRecord(bool watchAccessedVariables)
    {
        WatchAccessedVariables = watchAccessedVariables;
        _self = new WeakReference<TapeRecord>(this);
    }

    public bool WatchAccessedVariables { get; }

    /// <summary>True while recording is suspended (<c>StopRecording()</c>).</summary>
    public volatile bool Paused;

    /// <summary>True once a non-persistent tape computed its gradients: it can't walk its nodes again.</summary>
    public volatile bool Spent;

    public IReadOnlyList<Tensor> WatchOrder
    {
        get { lock (_gate) return _watchOrder.ToArray(); }
    }

    public void Watch(Tensor t)
    {
        lock (_gate)
            if (_watched.Add(t)) _watchOrder.Add(t);
    }

    /// <summary>Records <paramref name="node"/> as made by an op this tape saw.</summary>
    public void Add(GradNode node)
    {
        lock (_gate)
            if (!_nodes.Add(node)) return;
        var holders = Holders.GetValue(node, _ => []);
        lock (holders) holders.Add(_self);
    }

    /// <summary>Whether the tape follows gradients through <paramref name="t"/>.</summary>
    public bool Tracks(Tensor t)
    {
        lock (_gate) return _watched.Contains(t) || (t.GradFn is { } node && _nodes.Contains(node));
    }

    /// <summary>The nodes a tape gradient may walk: its own, and the accumulators of watched leaves.</summary>
    public bool Allows(GradNode node)
    {
        lock (_gate) return _nodes.Contains(node) || (node is AccumulateGrad acc && _watched.Contains(acc.Leaf));
    }

    /// <summary>Whether a live tape that can still compute gradients recorded <paramref name="node"/>.</summary>
    public static bool KeepsSaved(GradNode node)
    {
        if (!Holders.TryGetValue(node, out var holders)) return false;
        lock (holders)
            foreach (var h in holders)
                if (h.TryGetTarget(out var tape) && !tape.Spent)
                    lock (tape._gate)
                        if (tape._nodes.Contains(node)) return true;
        return false;
    }

    public void Reset()
    {
        lock (_gate)
        {
            _nodes.Clear();
            _watched.Clear();
            _watchOrder.Clear();
        }
        Spent = false;
    }
}

/// <summary>The tapes recording in the current async flow (innermost last).</summary>
internal static class Tapes
{
    static readonly AsyncLocal<TapeRecord[]?> ActiveTapes = new();

    // Read on every recorded op: skipped until a tape has ever existed (see GradMode for why it never resets).
    static volatile bool _everPushed;

    public static TapeRecord[]? Active => _everPushed && ActiveTapes.Value is { Length: > 0 } a ? a : null;

    public static void Push(TapeRecord tape)
    {
        _everPushed = true;
        ActiveTapes.Value = ActiveTapes.Value is { } a ? [.. a, tape] : [tape];
    }

    public static void Remove(TapeRecord tape)
    {
        if (ActiveTapes.Value is { } a) ActiveTapes.Value = Array.FindAll(a, t => !ReferenceEquals(t, tape));
    }

    /// <summary>
    /// Whether an active tape follows <paramref name="t"/> (watches it or recorded the op that made it):
    /// only recording tapes count unless <paramref name="includePaused"/> (inside StopRecording()).
    /// </summary>
    public static bool Follows(Tensor t, bool includePaused = false)
    {
        if (Active is not { } tapes) return false;
        foreach (var tape in tapes)
            if ((includePaused || !tape.Paused) && tape.Tracks(t)) return true;
        return false;
    }

    /// <summary>True when some active tape is recording (a tape gradient must then be recorded too).</summary>
    public static bool AnyRecording
    {
        get
        {
            if (Active is not { } tapes) return false;
            foreach (var t in tapes) if (!t.Paused) return true;
            return false;
        }
    }
}
