using Nabla.Engine;

namespace Nabla;

/// <summary>
/// What a <see cref="CustomFunction"/>'s forward leaves for its backward (PyTorch's <c>ctx</c>):
/// saved tensors (version-checked, freed after backward unless the graph is retained),
/// non-differentiable outputs, and free-form items.
/// </summary>
public sealed class FunctionContext
{
    readonly string _function;
    readonly Tensor[] _inputs;
    Engine.SavedTensors? _saved;
    bool _released;
    readonly HashSet<Tensor> _nonDifferentiable = new(ReferenceEqualityComparer.Instance);
    readonly bool[] _needsInputGrad;
    bool[]? _needsOverride;

    internal FunctionContext(string function, Tensor[] inputs)
    {
        _function = function;
        _inputs = inputs;
        // Decided when the function is applied, as in PyTorch: a gradient can reach an input only if the
        // call is recorded and the input requires grad or a recording tape follows it.
        _needsInputGrad = new bool[inputs.Length];
        if (GradMode.Enabled)
            for (int i = 0; i < inputs.Length; i++)
                _needsInputGrad[i] = inputs[i].DType.IsFloating() && (inputs[i].RequiresGrad || Tapes.Follows(inputs[i]));
    }

    /// <summary>Non-tensor state for backward (e.g. a constant or a shape), as PyTorch's <c>ctx.attr = ...</c>.</summary>
    public IDictionary<string, object?> Items { get; } = new Dictionary<string, object?>();

    /// <summary>Keeps tensors for <see cref="CustomFunction"/>'s backward; an in-place change to them afterwards makes backward throw.</summary>
    public void SaveForBackward(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _saved = new Engine.SavedTensors((Tensor[])tensors.Clone());
    }

    /// <summary>The tensors given to <see cref="SaveForBackward"/>, checked to be unchanged.</summary>
    public IReadOnlyList<Tensor> SavedTensors
    {
        get
        {
            if (_released) throw Engine.SavedTensors.Freed(_function + "Backward");
            return _saved?.Unpack(_function + "Backward", _function, "saved tensor") ?? [];
        }
    }

    /// <summary>Marks outputs that have no gradient (e.g. indices); they get no GradFn.</summary>
    public void MarkNonDifferentiable(params Tensor[] outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        foreach (var o in outputs) _nonDifferentiable.Add(o);
    }

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

    internal int InputCount => _inputs.Length;

    internal Tensor Input(int index) => _inputs[index];

    internal bool IsNonDifferentiable(Tensor output) => _nonDifferentiable.Contains(output);

    internal Tensor[] Outputs { get; set; } = [];

    internal bool Released => _released;

    /// <summary>Throws the "backward a second time" error once the context was freed.</summary>
    internal void EnsureAlive()
    {
        if (_released) _ = SavedTensors;
    }

    internal void Release()
    {
        _released = true;
        _saved = null;
        Items.Clear();
    }
}
