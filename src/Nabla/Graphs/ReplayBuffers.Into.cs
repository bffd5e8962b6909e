using Nabla.Backends;

namespace Nabla.Graphs;

/// <summary>What a replay asks the plan op by op: whether the op runs straight to its kernel, which buffer it writes into.</summary>
internal sealed partial class ReplayBuffers
{
    /// <summary>Whether op number <paramref name="index"/> still writes its value into a buffer (tests: its kernel took it).</summary>
    internal bool WritesIntoBuffer(int index) => _ops[index].OutputSlot >= 0;

    /// <summary>The buffers as they stand now, null where none is made (tests).</summary>
    internal Tensor?[] Buffers() => (Tensor?[])_slots.Clone();

    /// <summary>
    /// Whether op number <paramref name="index"/> runs straight to its kernel in every replay of this kind (a
    /// one-output primitive call that records no node), so the replay need not ask again.
    /// </summary>
    public bool RunsQuiet(int index) => _ops[index].Quiet;

    /// <summary>Whether the op's input array (<see cref="GraphOp.InputBuffer"/>) holds what a fill would put there now.</summary>
    public bool InputsReady(GraphOp op) => ReferenceEquals(op.InputsKeptBy, this) && op.InputsKeptAt == _generation;

    /// <summary>
    /// After op number <paramref name="index"/>'s input array was filled: whether it may stay as it is (its inputs
    /// are buffers and captures, which the graph holds anyway), ready for the next calls while no buffer changes.
    /// </summary>
    public bool KeepFilled(int index, GraphOp op, Tensor[] inputs)
    {
        op.InputsKeptBy = null;
        ref var step = ref _ops[index];
        if (!step.StableInputs) return false;
        if (step.InputSlots is { } slots)
            for (int i = 0; i < slots.Length; i++)
                if (slots[i] >= 0 && !ReferenceEquals(inputs[i].Storage, _slots[slots[i]]?.Storage)) return false;
        op.InputsKeptBy = this;
        op.InputsKeptAt = _generation;
        return true;
    }

    /// <summary>The buffer op number <paramref name="index"/> may write its output into, or null.</summary>
    public Tensor? Into(int index, GraphOp op)
    {
        _made = -1;
        ref var step = ref _ops[index];
        if (step.OutputSlot < 0) return null;
        if (op.Kernel.Entry is { Into: null })
        {
            GiveUpSlot(ref step);   // its kernel (known from an earlier run) has no into-form
            return null;
        }
        if (_slots[step.OutputSlot] is not { } buffer)
        {
            _generation++;
            _made = step.OutputSlot;
            buffer = _slots[_made] = Backend.For(_slotLayout[_made].Device).EmptyForKeeps(_slotLayout[_made].DType, _slotLayout[_made].Shape);
        }
        if (step.ViewShape is not { } shape) return buffer;
        if (_views[index] is { } view && ReferenceEquals(view.Storage, buffer.Storage)) return view;
        _generation++;   // a new tensor for this value: input arrays kept with the old one must be filled again
        return _views[index] = buffer.View(shape, Shape.ContiguousStrides(shape.Span), 0);
    }

    /// <summary>
    /// After op <paramref name="index"/> made <paramref name="result"/> (see <see cref="Into"/>). An op that did
    /// not write into its buffer (a view, a kernel that did not take it) stops asking for one. When the result
    /// shares memory with a buffer the op read (a view, a kernel that returned its input), that buffer leaves
    /// the pool, since the result may outlive the plan.
    /// </summary>
    public void AfterOp(int index, Tensor result, Tensor? into, Tensor source)
    {
        if (ReferenceEquals(result, into)) return;
        ref var step = ref _ops[index];
        if (step.AssumedView) NoteCopies(index, result, source);
        if (into is not null)
        {
            GiveUpSlot(ref step);
            if (_made >= 0) _slots[_made] = null;   // made for this op only: the graph must not hold it for nothing
        }
        if (step.InputSlots is not { } read || step.PlannedView) return;
        foreach (int slot in read)
            if (slot >= 0 && _slots[slot] is { } buffer && result.SharesStorage(buffer))
            {
                _slots[slot] = null;
                _generation++;
            }
    }

    // The op's value is not its buffer from now on: input arrays kept with the buffer must be filled again.
    void GiveUpSlot(ref OpPlan step)
    {
        step.OutputSlot = -1;
        _generation++;
    }
}
