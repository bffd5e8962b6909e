namespace Nabla;

public sealed partial class GradientTape
{
    // TensorFlow returns gradients "in the structure of the sources" (any nest of lists, tuples and
    // dicts). C# has no untyped nest, so the common shapes get typed overloads: lists (the array forms),
    // dictionaries keyed by name, and tuples of two or three tensors for deconstruction.

    /// <summary>
    /// The gradients of <paramref name="target"/> with respect to named sources, under the same names
    /// (tf's <c>tape.gradient(y, {"w": w, "b": b})</c>); see <see cref="Gradient(Tensor, Tensor, Tensor?, UnconnectedGradients)"/>.
    /// </summary>
    /// <example><code>
    /// var g = tape.Gradient(loss, new Dictionary&lt;string, Tensor&gt; { ["w"] = w, ["b"] = b });
    /// var dw = g["w"];
    /// </code></example>
    public Dictionary<string, Tensor?> Gradient(Tensor target, IReadOnlyDictionary<string, Tensor> sources, Tensor? outputGradient = null,
        UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Gradient([target], sources, outputGradient is null ? null : [outputGradient], unconnected);
    }

    /// <summary>The gradients of the sum of <paramref name="targets"/> with respect to named sources, under the same names.</summary>
    public Dictionary<string, Tensor?> Gradient(IReadOnlyList<Tensor> targets, IReadOnlyDictionary<string, Tensor> sources,
        IReadOnlyList<Tensor?>? outputGradients = null, UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var keys = sources.Keys.ToArray();
        var grads = Gradient(targets, keys.Select(k => sources[k]).ToArray(), outputGradients, unconnected);
        return Named(keys, grads);
    }

    /// <summary>The gradients with respect to two sources, as a tuple: <c>var (da, db) = tape.Gradient(y, (a, b));</c></summary>
    public (Tensor? First, Tensor? Second) Gradient(Tensor target, (Tensor First, Tensor Second) sources, Tensor? outputGradient = null,
        UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        var g = Gradient(target, [sources.First, sources.Second], outputGradient, unconnected);
        return (g[0], g[1]);
    }

    /// <summary>The gradients with respect to three sources, as a tuple: <c>var (da, db, dc) = tape.Gradient(y, (a, b, c));</c></summary>
    public (Tensor? First, Tensor? Second, Tensor? Third) Gradient(Tensor target, (Tensor First, Tensor Second, Tensor Third) sources,
        Tensor? outputGradient = null, UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        var g = Gradient(target, [sources.First, sources.Second, sources.Third], outputGradient, unconnected);
        return (g[0], g[1], g[2]);
    }

    /// <summary>The Jacobians of <paramref name="target"/> with respect to named sources, under the same names.</summary>
    public Dictionary<string, Tensor?> Jacobian(Tensor target, IReadOnlyDictionary<string, Tensor> sources,
        UnconnectedGradients unconnected = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var keys = sources.Keys.ToArray();
        return Named(keys, Jacobian(target, keys.Select(k => sources[k]).ToArray(), unconnected));
    }

    static Dictionary<string, Tensor?> Named(string[] keys, Tensor?[] values)
    {
        var result = new Dictionary<string, Tensor?>(keys.Length);
        for (int i = 0; i < keys.Length; i++) result[keys[i]] = values[i];
        return result;
    }
}
