using Nabla.Primitives;

namespace Nabla.Graphs;

/// <summary>
/// What the plan learns or keeps beside its buffer assignment: several-output calls that only read buffers, ops
/// planned as views that copied (a reshape of a strided value), the bytes it holds.
/// </summary>
internal sealed partial class ReplayBuffers
{
    bool[]? _copies;   // per op: planned as a view, but it made new memory in a replay
    bool _stale;       // _copies has news: the next For builds the plan again

    /// <summary>
    /// Lets go of a plan that another replaces: input arrays filled with its buffers are emptied, so its buffers die
    /// with it (and the new plan's come from the pool in their place).
    /// </summary>
    static void Release(TracedGraph graph, ReplayBuffers old)
    {
        foreach (var op in graph.Ops)
            if (ReferenceEquals(op.InputsKeptBy, old))
            {
                op.InputsKeptBy = null;
                if (op.InputBuffer is { } kept) Array.Clear(kept);
            }
        Array.Clear(old._slots);
        Array.Clear(old._views);
    }

    /// <summary>
    /// After op <paramref name="index"/>, planned as a view of <paramref name="source"/> (a reshape, an op with a view
    /// form), made <paramref name="result"/>, which is not <paramref name="source"/>'s memory (the input's strides allow
    /// no view, as Conv2d's weight gradient reshapes a permuted tensor): its value is a new tensor on every call, which
    /// a rebuilt plan gives a buffer of its own (its kernel's into-form copies into it).
    /// </summary>
    void NoteCopies(int index, Tensor result, Tensor source)
    {
        if (result.SharesStorage(source)) return;
        (_copies ??= new bool[_ops.Length])[index] = true;
        _ops[index].AssumedView = false;
        _stale = true;
    }

    /// <summary>
    /// After op <paramref name="index"/>, a call with several outputs that read buffers (<see cref="ReadsBuffers"/>),
    /// made <paramref name="outputs"/>: a buffer one of them shares memory with (a kernel that returned its input)
    /// leaves the pool, as in <see cref="AfterOp"/>.
    /// </summary>
    public void AfterReader(int index, ReadOnlySpan<int> outputs, Tensor[] env)
    {
        if (_ops[index].InputSlots is not { } read) return;
        foreach (int id in outputs)
            foreach (int slot in read)
                if (slot >= 0 && _slots[slot] is { } buffer && env[id].SharesStorage(buffer))
                {
                    _slots[slot] = null;
                    _generation++;
                }
    }

    /// <summary>Whether op number <paramref name="index"/> is a several-output call that reads buffers and keeps none of them (see <see cref="AfterReader"/>).</summary>
    public bool ReadsBuffers(int index) => _ops[index].ReadsOnly && _ops[index].InputSlots is not null;

    /// <summary>The bytes of the buffers the plan makes.</summary>
    long Bytes()
    {
        long bytes = 0;
        foreach (var v in _slotLayout) bytes += (long)v.Shape.NumElements * v.DType.ElementSize();
        return bytes;
    }

    /// <summary>
    /// Whether <paramref name="op"/> is a call with several outputs (max pooling's values and positions, a fused program's
    /// results) that records no node (<paramref name="records"/> false): it runs straight to its kernel (Replay.RunQuietMany),
    /// reads its inputs while it runs and keeps none of them, so they may be buffers, and so may its outputs.
    /// </summary>
    static bool ReadsOnly(GraphOp op, bool records) =>
        op.Kind == GraphOpKind.Call && op.Outputs.Length > 1 && op.Op!.OutputCount == op.Outputs.Length && !op.Op.HasViewForm && !records;

    /// <summary>
    /// Whether <paramref name="op"/> may return a view of its first input: an alias, or a primitive with a view
    /// form (<see cref="Primitive.TryView"/>: reshape, permute, expand, slice, ...).
    /// </summary>
    static bool MayView(GraphOp op) =>
        op.Kind == GraphOpKind.Alias || op.Kind == GraphOpKind.Call && op.Outputs.Length == 1 && op.Op is { HasViewForm: true };

    /// <summary>
    /// Whether a quiet replay runs <paramref name="op"/> straight to its kernel with nothing kept (the condition of
    /// Replay's quiet path): a one-output primitive call that records no node (<paramref name="records"/> false: grad
    /// is off, a joint graph, the op records nothing for the caller, or none of its inputs may require grad).
    /// </summary>
    static bool Quiet(GraphOp op, bool records) =>
        op.Kind == GraphOpKind.Call && op.Outputs.Length == 1 && op.Op!.OutputCount == 1 && !records;
}
