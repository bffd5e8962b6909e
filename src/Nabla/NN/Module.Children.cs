using Nabla.Engine;

namespace Nabla.NN;

public abstract partial class Module
{
    /// <summary>
    /// Replaces every child with <paramref name="children"/>, in that order (ModuleList renumbers its
    /// children after an insert). All names and cycles are checked before anything changes, so a bad
    /// child leaves the container as it was; <paramref name="op"/> names the caller's operation in errors.
    /// </summary>
    private protected void ReplaceChildren(string op, IReadOnlyList<(string Name, Module Module)> children)
    {
        var names = new HashSet<string>();
        foreach (var (name, module) in children)
        {
            CheckChild(op, name, module);
            if (!names.Add(name)) throw Errors.Arg(op, $"'{name}' is given twice; every child needs its own name.");
        }
        _modules.Clear();
        foreach (var (name, module) in children) _modules.Add(name, module);
    }

    /// <summary>Adds a child under <paramref name="name"/>, or replaces the one there keeping its position (as a Python dict).</summary>
    private protected void SetChild(string op, string name, Module module)
    {
        CheckChild(op, name, module);
        if (_parameters.ContainsKey(name) || _buffers.ContainsKey(name))
            throw Errors.Arg(op, $"'{name}' is already a parameter or buffer of this {GetType().Name}.");
        _modules[name] = module;
    }

    /// <summary>Removes the child <paramref name="name"/>; false when there is none.</summary>
    private protected bool RemoveChild(string name) => _modules.Remove(name);

    void CheckChild(string op, string name, Module module)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(module);
        if (name.Length == 0 || name.Contains('.'))
            throw Errors.Arg(op, $"name '{name}' is not allowed: names must be non-empty and contain no '.' (dots join the names of nested modules).");
        if (ReferenceEquals(module, this) || module.NamedModules().Any(m => ReferenceEquals(m.Module, this)))
            throw Errors.Arg(op, $"adding '{name}' would make the module tree a cycle (a module cannot contain itself).");
    }

    /// <summary>The error a container's <see cref="Forward"/> throws: like PyTorch's ModuleList, it is not callable.</summary>
    private protected Exception NotCallable() =>
        Errors.State($"{GetType().Name}.Forward", $"a {GetType().Name} only holds modules and has no Forward of its own (as in PyTorch); " +
            "call its children from your own module's Forward, or use Sequential to chain them.");

    /// <summary>
    /// Loads this module's state dict and training mode into <paramref name="copy"/> (a fresh module built with the same
    /// options) and returns it: the values half of PyTorch's <c>copy.deepcopy</c>, for layers that clone themselves.
    /// </summary>
    internal T CopyStateInto<T>(T copy) where T : Module
    {
        using (Autograd.NoGrad()) copy.LoadStateDict(StateDict());
        copy.Train(IsTraining);
        return copy;
    }
}
