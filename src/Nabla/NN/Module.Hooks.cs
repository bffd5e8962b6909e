using Nabla.Engine;
namespace Nabla.NN;

public abstract partial class Module
{
    readonly List<Func<Module, Tensor, Tensor?>> _preHooks = [];
    readonly List<Func<Module, Tensor, Tensor, Tensor?>> _hooks = [];

    /// <summary>
    /// Runs the module: the forward pre-hooks (each may replace the input), <see cref="Forward"/>, then
    /// the forward hooks (each may replace the output), in registration order. This is the one entry
    /// point: containers such as <see cref="Sequential"/> call it for their children, so hooks fire on
    /// every path (PyTorch's <c>module(x)</c>).
    /// </summary>
    public Tensor Call(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        // Snapshots: a hook may remove itself (or others) while running.
        if (_preHooks.Count > 0)
            foreach (var hook in _preHooks.ToArray())
                x = hook(this, x) ?? x;
        var y = Forward(x);
        if (_hooks.Count > 0)
            foreach (var hook in _hooks.ToArray())
                y = hook(this, x, y) ?? y;
        return y;
    }

    /// <summary>
    /// Adds a hook called as <c>hook(module, input)</c> before every <see cref="Forward"/> run by
    /// <see cref="Call"/>; a non-null result replaces the input. Dispose the handle to remove it.
    /// </summary>
    public IDisposable RegisterForwardPreHook(Func<Module, Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _preHooks.Add(hook);
        return new RunOnce(() => _preHooks.Remove(hook));
    }

    /// <summary>A pre-hook that only observes (<c>hook(module, input)</c>); see <see cref="RegisterForwardPreHook(Func{Module, Tensor, Tensor?})"/>.</summary>
    public IDisposable RegisterForwardPreHook(Action<Module, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardPreHook((m, x) => { hook(m, x); return null; });
    }

    /// <summary>
    /// Adds a hook called as <c>hook(module, input, output)</c> after every <see cref="Forward"/> run by
    /// <see cref="Call"/> (input as Forward received it); a non-null result replaces the output.
    /// Dispose the handle to remove it.
    /// </summary>
    public IDisposable RegisterForwardHook(Func<Module, Tensor, Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _hooks.Add(hook);
        return new RunOnce(() => _hooks.Remove(hook));
    }

    /// <summary>A forward hook that only observes (<c>hook(module, input, output)</c>); see <see cref="RegisterForwardHook(Func{Module, Tensor, Tensor, Tensor?})"/>.</summary>
    public IDisposable RegisterForwardHook(Action<Module, Tensor, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardHook((m, x, y) => { hook(m, x, y); return null; });
    }
}
