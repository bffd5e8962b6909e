using System.Collections;
using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// Child modules by name (torch.nn.ModuleDict), in insertion order: the keys are the children's names, so a
/// model that keeps <c>heads = RegisterModule("heads", new ModuleDict(...))</c> has state dict keys
/// <c>"heads.cls.weight"</c>, and <see cref="Module.Parameters"/>, the state dict and
/// <see cref="Module.Train"/> reach every child. Keys must be non-empty and contain no '.'.
/// Setting an existing key replaces the module in its place, as a Python dict. It has no Forward.
/// </summary>
/// <example><code>
/// var heads = new ModuleDict { ["cls"] = new Linear(8, 10), ["box"] = new Linear(8, 4) };
/// var boxes = heads["box"].Call(features);
/// </code></example>
public sealed class ModuleDict : Module, IEnumerable<KeyValuePair<string, Module>>
{
    readonly OrderedDictionary<string, Module> _items = new();

    /// <summary>An empty dict.</summary>
    public ModuleDict() { }

    /// <summary>A dict holding <paramref name="modules"/> in their order.</summary>
    public ModuleDict(IEnumerable<KeyValuePair<string, Module>> modules) => Update(modules);

    /// <summary>The number of modules (len(module_dict)).</summary>
    public int Count => _items.Count;

    /// <summary>The keys in insertion order (ModuleDict.keys()).</summary>
    public IEnumerable<string> Keys => _items.Keys;

    /// <summary>The modules in insertion order (ModuleDict.values()).</summary>
    public IEnumerable<Module> Values => _items.Values;

    /// <summary>The module under <paramref name="key"/>; setting adds it, or replaces the one there in its place.</summary>
    public Module this[string key]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(key);
            return _items.TryGetValue(key, out var m) ? m
                : throw new KeyNotFoundException($"ModuleDict[]: no module under '{key}'; keys are [{string.Join(", ", _items.Keys)}] (called from {CallSite.Describe()})");
        }
        set => Add(key, value, "ModuleDict[]");
    }

    /// <summary>Adds <paramref name="module"/> under <paramref name="key"/> (or replaces the one there) and returns this dict.</summary>
    public ModuleDict Add(string key, Module module) => Add(key, module, "ModuleDict.Add");

    /// <summary>Adds or replaces each pair in order (ModuleDict.update); returns this dict.</summary>
    public ModuleDict Update(IEnumerable<KeyValuePair<string, Module>> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var (key, module) in modules.ToList()) Add(key, module, "ModuleDict.Update");
        return this;
    }

    /// <summary>Whether a module is stored under <paramref name="key"/> (key in module_dict).</summary>
    public bool ContainsKey(string key) => _items.ContainsKey(key);

    /// <summary>Removes and returns the module under <paramref name="key"/> (ModuleDict.pop).</summary>
    public Module Pop(string key)
    {
        var m = this[key];
        _items.Remove(key);
        RemoveChild(key);
        return m;
    }

    /// <summary>Removes every module (ModuleDict.clear).</summary>
    public void Clear()
    {
        foreach (var key in _items.Keys.ToList()) RemoveChild(key);
        _items.Clear();
    }

    /// <summary>Not callable, as PyTorch's ModuleDict: throws <see cref="InvalidOperationException"/>.</summary>
    public override Tensor Forward(Tensor x) => throw NotCallable();

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Module>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    ModuleDict Add(string key, Module module, string op)
    {
        SetChild(op, key, module);
        _items[key] = module;
        return this;
    }
}
