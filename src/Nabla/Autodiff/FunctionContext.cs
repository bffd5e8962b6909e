using Nabla.Engine;

namespace Nabla;

/// <summary>
/// What a <see cref="CustomFunction"/>'s forward leaves for its backward (PyTorch's <c>ctx</c>):
/// saved tensors (version-checked, freed after backward unless the graph is retained),
/// non-differentiable outputs, inputs changed in place (<see cref="MarkDirty"/>), whether missing
/// output gradients arrive as zeros (<see cref="SetMaterializeGrads"/>), and free-form items.
/// </summary>
public sealed class FunctionContext
{
    readonly string _function;
    Tensor[] _inputs;
    Tensor?[]? _toSave;
    Engine.SavedTensors? _saved;
    int[]? _savedSlots;
    bool _released;
    readonly HashSet<Tensor> _nonDifferentiable = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<Tensor> _dirty = new(ReferenceEqualityComparer.Instance);
    bool[] _needsInputGrad;
    bool[]? _needsOverride;

    internal FunctionContext(string function, Tensor[] inputs)
    {
        _function = function;
        _inputs = inputs;
        // Decided when the function is applied, as in PyTorch: a gradient can reach an input only if the
        // call is recorded and the input requires grad or a recording tape follows it.
        _needsInputGrad = inputs.Select(NeedsGrad).ToArray();
    }

    static bool NeedsGrad(Tensor x) => GradMode.Enabled && x.DType.IsFloating() && (x.RequiresGrad || Tapes.Follows(x));

    /// <summary>Non-tensor state for backward (e.g. a constant or a shape), as PyTorch's <c>ctx.attr = ...</c>.</summary>
    public IDictionary<string, object?> Items { get; } = new Dictionary<string, object?>();

    /// <summary>
    /// Keeps tensors for <see cref="CustomFunction"/>'s backward (PyTorch's <c>save_for_backward</c>); null
    /// entries are allowed and come back as null. Their versions are taken when Forward returns (after the
    /// inputs given to <see cref="MarkDirty"/> have been counted as changed), so an in-place change to them
    /// afterwards makes backward throw, naming the function.
    /// </summary>
    public void SaveForBackward(params Tensor?[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _toSave = (Tensor?[])tensors.Clone();
        _saved = null;
    }

    /// <summary>
    /// The tensors given to <see cref="SaveForBackward"/>, in order, checked to be unchanged; an entry
    /// saved as null is null (the list's element type says non-null for the common case; test entries you
    /// saved as null).
    /// </summary>
    public IReadOnlyList<Tensor> SavedTensors
    {
        get
        {
            // A backward pass on another thread may Release this context meanwhile (a shared subgraph):
            // copy the fields, fence, then check the flag; Release sets the flag and fences before clearing,
            // so a copy taken before the flag was seen is whole (as OpNode.Apply).
            var toSave = _toSave;
            var saved = _saved;
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _released)) throw Engine.SavedTensors.Freed(_function + "Backward");
            if (toSave is null) return [];
            if (saved is null) return Array.ConvertAll(toSave, t => t!);  // still inside Forward: nothing to check yet
            var present = saved.Value.Unpack(_function + "Backward", _function, "saved tensor");
            var result = new Tensor[toSave.Length];
            for (int k = 0; k < present.Length; k++) result[_savedSlots![k]] = present[k];
            return result;
        }
    }

    /// <summary>Marks outputs that have no gradient (e.g. indices); they get no GradFn.</summary>
    public void MarkNonDifferentiable(params Tensor[] outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        foreach (var o in outputs) _nonDifferentiable.Add(o);
    }

    /// <summary>
    /// Declares that Forward changed <paramref name="tensors"/> (inputs) in place (PyTorch's
    /// <c>ctx.mark_dirty</c>): each must also be returned by Forward, as the very same object. When Forward
    /// returns, each one's version goes up (a backward that saved its old value then throws) and, when the
    /// call is recorded, its history moves to this function's node (its <see cref="Tensor.GradFn"/> becomes
    /// <c>NameBackward</c>). A leaf that requires grad can't be changed in place while recording.
    /// </summary>
    public void MarkDirty(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var t in tensors) _dirty.Add(t ?? throw Errors.Arg(_function, "MarkDirty was given a null tensor."));
    }

    /// <summary>
    /// Whether Backward receives zeros (true, the default) or null (false) for the gradient of an output
    /// that received none (PyTorch's <c>ctx.set_materialize_grads</c>). With false, test each entry of
    /// Backward's <c>gradOutputs</c> for null.
    /// </summary>
    public void SetMaterializeGrads(bool value) => MaterializeGrads = value;

    internal bool MaterializeGrads { get; private set; } = true;

    /// <summary>
    /// Whether input <paramref name="index"/> needs a gradient (PyTorch's <c>ctx.needs_input_grad</c>): it
    /// requires grad or a recording <see cref="GradientTape"/> follows it, and recording was on when the
    /// function was applied. While forward mode derives a JVP from Backward, it is true for the inputs that carry a tangent.
    /// </summary>
    public bool NeedsInputGrad(int index) => (_needsOverride ?? _needsInputGrad)[index];

    /// <summary>Makes <see cref="NeedsInputGrad"/> answer <paramref name="needs"/> until the scope is disposed.</summary>
    internal IDisposable OverrideNeedsInputGrad(bool[] needs)
    {
        var previous = _needsOverride;
        _needsOverride = needs;
        return new RunOnce(() => _needsOverride = previous);
    }

    /// <summary>
    /// Adds inputs the function read without being given them (the trainable variables a TF-style custom
    /// gradient's function used): the call is recorded with them, and Backward returns their gradients after the others'.
    /// </summary>
    internal void AddInputs(Tensor[] extra)
    {
        _inputs = [.. _inputs, .. extra];
        _needsInputGrad = [.. _needsInputGrad, .. extra.Select(NeedsGrad)];
    }

    internal Tensor[] AllInputs => _inputs;

    internal int InputCount => _inputs.Length;

    internal Tensor Input(int index) => _inputs[index];

    internal bool IsNonDifferentiable(Tensor output) => _nonDifferentiable.Contains(output);

    internal bool IsDirty(Tensor t) => _dirty.Contains(t);

    internal IReadOnlyCollection<Tensor> Dirty => _dirty;

    /// <summary>Takes the saved tensors' versions: called once Forward has returned and dirty inputs were bumped.</summary>
    internal void PackSaved()
    {
        if (_toSave is null) return;
        var slots = new List<int>();
        for (int i = 0; i < _toSave.Length; i++)
            if (_toSave[i] is not null) slots.Add(i);
        _savedSlots = [.. slots];
        _saved = new Engine.SavedTensors(slots.Select(i => _toSave[i]!).ToArray());
    }

    internal Tensor[] Outputs { get; set; } = [];

    internal bool Released => _released;

    /// <summary>Throws the "backward a second time" error once the context was freed.</summary>
    internal void EnsureAlive()
    {
        if (_released) _ = SavedTensors;
    }

    internal void Release()
    {
        Volatile.Write(ref _released, true);
        Interlocked.MemoryBarrier();   // the flag is visible before any field is cleared (see SavedTensors)
        _saved = null;
        _toSave = null;
        Items.Clear();
    }
}
