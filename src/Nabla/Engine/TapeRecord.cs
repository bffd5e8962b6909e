namespace Nabla.Engine;

/// <summary>
/// What one TF-style tape saw: the tensors it watches and the nodes recorded while it was active
/// on a watched tensor or on a result of its own nodes. A tape gradient walks only these nodes, so
/// ops recorded outside the tape or on unwatched tensors don't count, exactly as in TensorFlow.
/// </summary>
internal sealed class TapeRecord(bool watchAccessedVariables)
{
    public readonly HashSet<GradNode> Nodes = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<Tensor> _watched = new(ReferenceEqualityComparer.Instance);
    readonly List<Tensor> _watchOrder = [];

    public bool WatchAccessedVariables { get; } = watchAccessedVariables;

    /// <summary>True while recording is suspended (<c>StopRecording()</c>).</summary>
    public bool Paused;

    public IReadOnlyList<Tensor> WatchOrder => _watchOrder;

    public void Watch(Tensor t)
    {
        if (_watched.Add(t)) _watchOrder.Add(t);
    }

    public bool IsWatched(Tensor t) => _watched.Contains(t);

    /// <summary>Whether the tape follows gradients through <paramref name="t"/>.</summary>
    public bool Tracks(Tensor t) => _watched.Contains(t) || (t.GradFn is { } node && Nodes.Contains(node));

    /// <summary>The nodes a tape gradient may walk: its own, and the accumulators of watched leaves.</summary>
    public bool Allows(GradNode node) =>
        Nodes.Contains(node) || (node is AccumulateGrad acc && _watched.Contains(acc.Leaf));

    public void Reset()
    {
        Nodes.Clear();
        _watched.Clear();
        _watchOrder.Clear();
    }
}

/// <summary>The tapes recording in the current async flow (innermost last).</summary>
internal static class Tapes
{
    static readonly AsyncLocal<TapeRecord[]?> ActiveTapes = new();

    public static TapeRecord[]? Active => ActiveTapes.Value is { Length: > 0 } a ? a : null;

    public static void Push(TapeRecord tape) =>
        ActiveTapes.Value = ActiveTapes.Value is { } a ? [.. a, tape] : [tape];

    public static void Remove(TapeRecord tape)
    {
        if (ActiveTapes.Value is { } a) ActiveTapes.Value = Array.FindAll(a, t => !ReferenceEquals(t, tape));
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
