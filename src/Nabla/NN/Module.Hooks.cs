using Nabla.Engine;
namespace Nabla.NN;

public abstract partial class Module
{
    // Hooks are kept in the general form (every input, every output); the one-tensor overloads are adapters.
    readonly List<Func<Module, IReadOnlyList<Tensor?>, IReadOnlyList<Tensor?>?>> _preHooks = [];
    readonly List<Func<Module, IReadOnlyList<Tensor?>, IReadOnlyList<Tensor?>, IReadOnlyList<Tensor?>?>> _hooks = [];

    /// <summary>
    /// Runs the module: the forward pre-hooks (each may replace the input), <see cref="Forward"/>, then
    /// the forward hooks (each may replace the output), in registration order. This is the one entry
    /// point: containers such as <see cref="Sequential"/> call it for their children, so hooks fire on
    /// every path (PyTorch's <c>module(x)</c>). Modules that take several tensors (attention, recurrent layers, losses)
    /// have their own <c>Call</c> overloads, which run the same hooks through <see cref="Invoke(Tensor?[], Func{IReadOnlyList{Tensor?}, Tensor})"/>.
    /// </summary>
    public Tensor Call(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (_preHooks.Count == 0 && _hooks.Count == 0) return Forward(x);   // the common case allocates nothing
        return Invoke([x], static (m, args) => m.Forward(args[0]!));
    }

    Tensor Invoke(Tensor?[] inputs, Func<Module, IReadOnlyList<Tensor?>, Tensor> forward)
    {
        var args = RunPreHooks(inputs);
        var y = forward(this, args);
        if (_hooks.Count == 0) return y;
        var outputs = RunHooks(args, [y]);
        return outputs[0] ?? throw Errors.State(GetType().Name, "a forward hook replaced the output with null; return null from the hook to keep the output, or a tensor to replace it.");
    }

    /// <summary>
    /// Runs <paramref name="forward"/> on <paramref name="inputs"/> with this module's hooks around it, for a module
    /// whose <c>Call</c> takes several tensors (null for an optional one left out) and returns one. A derived class's
    /// <c>Call(query, key, value, mask)</c> is <c>Invoke([query, key, value, mask], a =&gt; Forward(a[0]!, a[1]!, a[2]!, a[3]))</c>.
    /// </summary>
    protected Tensor Invoke(Tensor?[] inputs, Func<IReadOnlyList<Tensor?>, Tensor> forward)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(forward);
        if (_preHooks.Count == 0 && _hooks.Count == 0) return forward(inputs);
        return Invoke(inputs, (_, args) => forward(args));
    }

    /// <summary>
    /// As <see cref="Invoke(Tensor?[], Func{IReadOnlyList{Tensor?}, Tensor})"/> for a module that returns several tensors
    /// in a record (<typeparamref name="TOut"/>, e.g. an output and a recurrent state): hooks see the record's
    /// <see cref="IModuleOutputs{TSelf}.ToTensors"/>, and a hook's replacement list is turned back into the record.
    /// </summary>
    protected TOut Invoke<TOut>(Tensor?[] inputs, Func<IReadOnlyList<Tensor?>, TOut> forward) where TOut : IModuleOutputs<TOut>
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(forward);
        if (_preHooks.Count == 0 && _hooks.Count == 0) return forward(inputs);
        var args = RunPreHooks(inputs);
        var result = forward(args);
        if (_hooks.Count == 0) return result;
        var before = result.ToTensors();
        var after = RunHooks(args, before);
        return ReferenceEquals(after, before) ? result : TOut.FromTensors(after);
    }

    IReadOnlyList<Tensor?> RunPreHooks(IReadOnlyList<Tensor?> args)
    {
        // Snapshots: a hook may remove itself (or others) while running.
        foreach (var hook in _preHooks.ToArray())
            if (hook(this, args) is { } replaced)
            {
                if (replaced.Count != args.Count)
                    throw Errors.State(GetType().Name, $"a forward pre-hook returned {replaced.Count} input(s) for a call with {args.Count}; return a list of the same length (null keeps the inputs).");
                args = replaced;
            }
        return args;
    }

    IReadOnlyList<Tensor?> RunHooks(IReadOnlyList<Tensor?> args, IReadOnlyList<Tensor?> outputs)
    {
        foreach (var hook in _hooks.ToArray())
            if (hook(this, args, outputs) is { } replaced)
            {
                if (replaced.Count != outputs.Count)
                    throw Errors.State(GetType().Name, $"a forward hook returned {replaced.Count} output(s) for a module that gives {outputs.Count}; return a list of the same length (null keeps the outputs).");
                outputs = replaced;
            }
        return outputs;
    }

    /// <summary>
    /// Adds a hook called as <c>hook(module, input)</c> before every <see cref="Forward"/> run by
    /// <see cref="Call"/>; a non-null result replaces the input. Dispose the handle to remove it.
    /// For a module called with several tensors the hook throws when it fires (it would see only one):
    /// use <see cref="RegisterForwardArgsPreHook"/> there.
    /// </summary>
    public IDisposable RegisterForwardPreHook(Func<Module, Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardArgsPreHook((m, args) =>
            hook(m, OneTensor(m, args, "RegisterForwardPreHook", "inputs")) is { } y ? [y] : null);
    }

    /// <summary>A pre-hook that only observes (<c>hook(module, input)</c>); see <see cref="RegisterForwardPreHook(Func{Module, Tensor, Tensor?})"/>.</summary>
    public IDisposable RegisterForwardPreHook(Action<Module, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardPreHook((m, x) => { hook(m, x); return null; });
    }

    /// <summary>
    /// Adds a hook called as <c>hook(module, input, output)</c> after every <see cref="Forward"/> run by
    /// <see cref="Call"/> (input as Forward received it); a non-null result replaces the output. Dispose the handle to remove it. For a module with
    /// several inputs or outputs the hook throws when it fires: use <see cref="RegisterForwardArgsHook"/> there.
    /// </summary>
    public IDisposable RegisterForwardHook(Func<Module, Tensor, Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardArgsHook((m, args, outputs) =>
            hook(m, OneTensor(m, args, "RegisterForwardHook", "inputs"), OneTensor(m, outputs, "RegisterForwardHook", "outputs")) is { } y ? [y] : null);
    }

    /// <summary>A forward hook that only observes (<c>hook(module, input, output)</c>); see <see cref="RegisterForwardHook(Func{Module, Tensor, Tensor, Tensor?})"/>.</summary>
    public IDisposable RegisterForwardHook(Action<Module, Tensor, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardHook((m, x, y) => { hook(m, x, y); return null; });
    }

    /// <summary>
    /// Adds a pre-hook that sees every input of a call (PyTorch's <c>args</c> tuple): <c>hook(module, inputs)</c>,
    /// with null for an optional input left out (a mask, an initial state). A non-null result, of the same length,
    /// replaces the inputs. Fires for one-tensor modules too (a list of one). Dispose the handle to remove it.
    /// </summary>
    /// <example><code>
    /// using var h = attention.RegisterForwardArgsPreHook((m, args) =&gt; { Console.WriteLine(args[0]!.Shape); return null; });
    /// </code></example>
    public IDisposable RegisterForwardArgsPreHook(Func<Module, IReadOnlyList<Tensor?>, IReadOnlyList<Tensor?>?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _preHooks.Add(hook);
        return new RunOnce(() => _preHooks.Remove(hook));
    }

    /// <summary>
    /// Adds a hook that sees every input and every output of a call: <c>hook(module, inputs, outputs)</c>. The outputs of a
    /// module returning a record (an LSTM's output and state, attention's output and weights) are its tensors in the
    /// record's order (see the record's <c>ToTensors</c>); a non-null result of the same length replaces them.
    /// </summary>
    public IDisposable RegisterForwardArgsHook(Func<Module, IReadOnlyList<Tensor?>, IReadOnlyList<Tensor?>, IReadOnlyList<Tensor?>?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _hooks.Add(hook);
        return new RunOnce(() => _hooks.Remove(hook));
    }

    static Tensor OneTensor(Module m, IReadOnlyList<Tensor?> tensors, string registeredWith, string what) =>
        tensors.Count == 1 && tensors[0] is { } t ? t
        : throw Errors.State(m.GetType().Name, $"a hook registered with {registeredWith} sees one tensor, but this call has {tensors.Count} {what}" +
            $"{(tensors.Count == 1 ? " (null)" : "")}; register it with {registeredWith.Replace("Forward", "ForwardArgs")} to see all of them.");
}

/// <summary>
/// The several tensors a module returns (an output and a recurrent state, an output and attention weights), as a
/// record that forward hooks see as a list: <see cref="ToTensors"/> gives them in a fixed order (null for one not
/// computed) and <see cref="FromTensors"/> builds the record back from a hook's replacement.
/// </summary>
public interface IModuleOutputs<TSelf> where TSelf : IModuleOutputs<TSelf>
{
    /// <summary>The tensors in a fixed order.</summary>
    IReadOnlyList<Tensor?> ToTensors();

    /// <summary>The record from tensors in the order of <see cref="ToTensors"/>.</summary>
    static abstract TSelf FromTensors(IReadOnlyList<Tensor?> tensors);
}
