using System.Collections;
using System.Globalization;
using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// A list of child modules (torch.nn.ModuleList): children are named by position ("0", "1", ...), so a model
/// that keeps <c>blocks = RegisterModule("blocks", new ModuleList(...))</c> has state dict keys
/// <c>"blocks.1.weight"</c>, and <see cref="Module.Parameters"/>, the state dict and
/// <see cref="Module.Train"/> reach every child. Unlike <see cref="Sequential"/> it has no Forward:
/// the owning module decides how the children are called.
/// </summary>
/// <example><code>
/// var blocks = new ModuleList(new Linear(4, 4), new Linear(4, 4));
/// blocks.Append(new Linear(4, 2));
/// foreach (var block in blocks) x = block.Call(x).Relu();
/// </code></example>
public sealed class ModuleList : Module, IReadOnlyList<Module>
{
    readonly List<Module> _items = [];

    /// <summary>A list holding <paramref name="modules"/> in order.</summary>
    public ModuleList(params IEnumerable<Module> modules) => Extend(modules);

    /// <summary>The number of modules (len(module_list)).</summary>
    public int Count => _items.Count;

    /// <summary>The module at <paramref name="index"/> (C# indices: <c>list[^1]</c> is the last); setting replaces it under the same name.</summary>
    public Module this[Index index]
    {
        get => _items[CheckIndex("ModuleList[]", index)];
        set
        {
            int i = CheckIndex("ModuleList[]", index);
            SetChild("ModuleList[]", Name(i), value);
            _items[i] = value;
        }
    }

    Module IReadOnlyList<Module>.this[int index] => this[index];

    /// <summary>Appends <paramref name="module"/> (named by its position) and returns this list (ModuleList.append).</summary>
    public ModuleList Append(Module module)
    {
        SetChild("ModuleList.Append", Name(_items.Count), module);
        _items.Add(module);
        return this;
    }

    /// <summary>Appends each of <paramref name="modules"/> in order and returns this list (ModuleList.extend).</summary>
    public ModuleList Extend(IEnumerable<Module> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var all = _items.Concat(modules).ToList();   // materialised first: extending with this list itself is allowed
        Rebuild("ModuleList.Extend", all);
        return this;
    }

    /// <summary>
    /// Inserts <paramref name="module"/> before position <paramref name="index"/> (0..Count; negative counts from the
    /// end as Python's insert) and renumbers the children after it, so their state dict keys move too (ModuleList.insert).
    /// </summary>
    public ModuleList Insert(int index, Module module)
    {
        int i = index < 0 ? Math.Max(0, _items.Count + index) : Math.Min(index, _items.Count);
        var all = new List<Module>(_items);
        all.Insert(i, module);
        Rebuild("ModuleList.Insert", all);
        return this;
    }

    /// <summary>Not callable, as PyTorch's ModuleList: throws <see cref="InvalidOperationException"/>.</summary>
    public override Tensor Forward(Tensor x) => throw NotCallable();

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    void Rebuild(string op, List<Module> modules)
    {
        foreach (var m in modules) ArgumentNullException.ThrowIfNull(m, "module");
        ReplaceChildren(op, modules.Select((m, i) => (Name(i), m)).ToList());
        _items.Clear();
        _items.AddRange(modules);
    }

    int CheckIndex(string op, Index index)
    {
        int i = index.GetOffset(_items.Count);
        if (i < 0 || i >= _items.Count)
            throw Errors.Arg(op, $"index {index} is out of range for a ModuleList of {_items.Count} module(s).");
        return i;
    }

    static string Name(int i) => i.ToString(CultureInfo.InvariantCulture);
}
