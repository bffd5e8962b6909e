using Nabla.Engine;
using Nabla.Primitives;

namespace Nabla;

/// <summary>
/// Notes the trainable <see cref="Variable"/>s that ops read while it is active, in first-use order
/// (TF's VariableWatcher, used by <c>tf.custom_gradient</c> to find the variables a function uses). An
/// assignment to a variable is not a read. It sees every op through <see cref="Dispatch.Observe"/>, recording or not.
/// </summary>
internal sealed class VariableWatcher : Interpreter
{
    readonly List<Variable> _used = [];
    readonly HashSet<Variable> _seen = new(ReferenceEqualityComparer.Instance);

    /// <summary>Starts watching in this flow of control; dispose the scope to stop.</summary>
    public static IDisposable Start(out VariableWatcher watcher)
    {
        watcher = new VariableWatcher();
        return Dispatch.Observe(watcher);
    }

    /// <summary>The trainable variables read so far, each once, in the order they were first read.</summary>
    public IReadOnlyList<Variable> Used => _used;

    public override void Call(Primitive op, Tensor[] inputs, ReadOnlySpan<Tensor> outputs) => Note(inputs);

    void Note(Tensor[] inputs)
    {
        foreach (var x in inputs)
            if (x is Variable { Trainable: true } v && _seen.Add(v)) _used.Add(v);
    }
}
