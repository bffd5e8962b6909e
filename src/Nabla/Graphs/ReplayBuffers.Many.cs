using Nabla.Backends;

namespace Nabla.Graphs;

/// <summary>Buffers for the outputs of calls with several outputs (max pooling's values and positions, fused programs).</summary>
internal sealed partial class ReplayBuffers
{
    Tensor?[]?[]? _manyInto;    // per several-output op: the array its outputs' destinations are handed over in, reused
    Tensor?[]?[]? _manyViews;   // per several-output op: per output with a ViewShape, its view of the buffer
    bool[]? _madeMany;          // per output of the last IntoMany: its buffer was made for that call

    /// <summary>Whether op number <paramref name="index"/>, a call with several outputs, writes every output into a buffer (tests).</summary>
    internal bool WritesIntoBuffers(int index) => _ops[index].OutputSlots is { } slots && Array.TrueForAll(slots, s => s >= 0);

    /// <summary>
    /// Where op number <paramref name="index"/>, a call with several outputs, may write each output: the destination of
    /// its write target (see <see cref="WriteTargetsOf"/>), else its buffer, else null (a new tensor). The array is the
    /// plan's, reused from call to call: hand it to <see cref="AfterMany"/> once the kernel ran.
    /// </summary>
    public Tensor?[] IntoMany(int index, GraphOp op, Tensor[] env)
    {
        int n = op.Outputs.Length;
        var into = (_manyInto ??= new Tensor?[]?[_ops.Length])[index] ??= new Tensor?[n];
        ref var step = ref _ops[index];
        if (step.OutputSlots is { } slots && op.Kernel.Entry is { ManyInto: null })
        {
            step.OutputSlots = null;   // its kernel (known from an earlier run) has no into-form
            _generation++;
            slots = null;
        }
        var made = _madeMany is { Length: var m } && m >= n ? _madeMany : _madeMany = new bool[n];
        for (int k = 0; k < n; k++)
        {
            made[k] = false;
            if (step.WriteTargets is { } targets && targets[k] >= 0) into[k] = env[targets[k]];
            else if (step.OutputSlots is { } own && own[k] >= 0) into[k] = BufferFor(index, k, own[k], step.ViewShapes?[k], ref made[k]);
        }
        return into;
    }

    Tensor BufferFor(int index, int k, int slot, Shape? viewShape, ref bool made)
    {
        if (_slots[slot] is not { } buffer)
        {
            _generation++;
            made = true;
            var layout = _slotLayout[slot];
            buffer = _slots[slot] = Backend.For(layout.Device).EmptyForKeeps(layout.DType, layout.Shape);
        }
        if (viewShape is not { } shape) return buffer;
        var views = (_manyViews ??= new Tensor?[]?[_ops.Length])[index] ??= new Tensor?[_ops[index].OutputSlots!.Length];
        if (views[k] is { } view && ReferenceEquals(view.Storage, buffer.Storage)) return view;
        _generation++;
        return views[k] = buffer.View(shape, Shape.ContiguousStrides(shape.Span), 0);
    }

    /// <summary>
    /// After op number <paramref name="index"/> made <paramref name="outputs"/> with the destinations <paramref name="into"/>
    /// from <see cref="IntoMany"/>: an output its kernel did not write into its buffer stops asking for one (a buffer made for
    /// this call is let go), a write target not taken is asked no more, and the array is cleared for the next call.
    /// </summary>
    public void AfterMany(int index, Tensor[] outputs, Tensor?[] into)
    {
        ref var step = ref _ops[index];
        var targets = step.WriteTargets;
        for (int k = 0; k < into.Length; k++)
        {
            if (into[k] is null || ReferenceEquals(outputs[k], into[k])) continue;
            if (targets is not null && targets[k] >= 0) DropWriteTargets(index);
            else if (step.OutputSlots is { } slots && slots[k] >= 0)
            {
                if (_madeMany![k]) _slots[slots[k]] = null;   // made for this op only: the graph must not hold it for nothing
                slots[k] = -1;
                _generation++;
            }
        }
        Array.Clear(into);   // the graph must not keep this call's tensors alive
    }
}
