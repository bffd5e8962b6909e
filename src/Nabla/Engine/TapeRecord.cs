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

    /// <summary>When the tape last entered its scope, on the clock shared with forward levels (<see cref="Tapes.NextStamp"/>).</summary>
    public long EntryStamp;

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

    // The entry clock shared by tapes and forward-mode levels: TF's nesting rules depend on the order in
    // which scopes were entered (not created), so each entry takes a fresh stamp.
    static long _clock;

    /// <summary>The next stamp on the entry clock shared by tapes, forward levels and StopRecording scopes.</summary>
    public static long NextStamp() => Interlocked.Increment(ref _clock);

    /// <summary>
    /// Every tape in scope in this flow, including those paused by their own StopRecording() or by
    /// Autograd.StopRecording() (for explaining where a graph was cut).
    /// </summary>
    public static TapeRecord[]? Open => _everPushed && ActiveTapes.Value is { Length: > 0 } a ? a : null;

    /// <summary>
    /// The tapes that may record here: those in scope, less those entered before an enclosing
    /// Autograd.StopRecording() (a tape's own StopRecording() is checked by the callers, through <see cref="TapeRecord.Paused"/>).
    /// </summary>
    public static TapeRecord[]? Active
    {
        get
        {
            if (Open is not { } open) return null;
            if (GradMode.RecordingStoppedAt is not { } stop) return open;
            var live = Array.FindAll(open, t => t.EntryStamp > stop);
            return live.Length > 0 ? live : null;
        }
    }

    public static void Push(TapeRecord tape)
    {
        _everPushed = true;
        tape.EntryStamp = NextStamp();
        ActiveTapes.Value = ActiveTapes.Value is { } a ? [.. a, tape] : [tape];
    }

    public static void Remove(TapeRecord tape)
    {
        if (ActiveTapes.Value is { } a) ActiveTapes.Value = Array.FindAll(a, t => !ReferenceEquals(t, tape));
    }

    /// <summary>
    /// Hides the tapes entered at or after <paramref name="stamp"/> (a forward level's entry) while that
    /// level's JVP rule runs; returns what to give back to <see cref="Restore"/> when
    /// <paramref name="narrowed"/>. Allocates only when some tape is actually hidden.
    /// </summary>
    public static TapeRecord[]? KeepOnlyEnteredBefore(long stamp, out bool narrowed)
    {
        narrowed = false;
        if (Open is not { } open) return null;
        bool any = false;
        foreach (var t in open)
            if (t.EntryStamp > stamp) { any = true; break; }
        if (!any) return null;
        var previous = ActiveTapes.Value;
        ActiveTapes.Value = Array.FindAll(open, t => t.EntryStamp < stamp);
        narrowed = true;
        return previous;
    }

    /// <summary>Puts back the tapes hidden by <see cref="KeepOnlyEnteredBefore"/>.</summary>
    public static void Restore(TapeRecord[]? previous) => ActiveTapes.Value = previous;

    /// <summary>
    /// Whether an active tape follows <paramref name="t"/> (watches it or recorded the op that made it):
    /// only recording tapes count unless <paramref name="includePaused"/> (inside StopRecording()).
    /// </summary>
    public static bool Follows(Tensor t, bool includePaused = false)
    {
        if ((includePaused ? Open : Active) is not { } tapes) return false;
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
