namespace Nabla.NN;

/// <summary>
/// Modules applied one after another (torch.nn.Sequential); children are named "0", "1", ... so the
/// state dict keys are <c>"0.weight"</c>, <c>"2.bias"</c>, ... Each child runs through
/// <see cref="Module.Call"/>, so its hooks fire.
/// </summary>
/// <example><code>
/// var model = new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10));
/// var logits = model.Call(x);
/// </code></example>
public sealed class Sequential : Module
{
    readonly List<Module> _layers = [];

    /// <summary>A sequence of the given modules, in order.</summary>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Add(m);
    }

    /// <summary>Appends a module (named by its position) and returns this container.</summary>
    public Sequential Add(Module module)
    {
        RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _layers.Add(module);
        return this;
    }

    /// <summary>The number of modules.</summary>
    public int Count => _layers.Count;

    /// <summary>The module at <paramref name="index"/> (C# indices, so <c>model[^1]</c> is the last).</summary>
    public Module this[Index index] => _layers[index];

    /// <summary>Runs each module's <see cref="Module.Call"/> on the previous one's output.</summary>
    public override Tensor Forward(Tensor x)
    {
        foreach (var layer in _layers) x = layer.Call(x);
        return x;
    }
}
