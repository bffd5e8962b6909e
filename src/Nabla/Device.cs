namespace Nabla;

/// <summary>
/// Where a tensor's memory lives and which backend runs its ops. <see cref="Cpu"/> is the fast backend;
/// <see cref="Reference"/> runs every op with plain double-precision loops (slow and exact, for
/// debugging a result you doubt). GPU devices come later.
/// </summary>
/// <example><code>
/// var x = Tensor.Rand(3, 4);
/// var slow = x.To(Device.Reference).Exp();       // computed in double, rounded once to float32
/// var diff = (slow.To(Device.Cpu) - x.Exp()).Abs().Max();
/// </code></example>
public sealed class Device : IEquatable<Device>
{
    /// <summary>The host CPU.</summary>
    public static readonly Device Cpu = new("cpu", 0);

    /// <summary>
    /// The reference backend on the host: every op computed in double precision by plain loops, then
    /// rounded once to the tensor's dtype. Hundreds of times slower than <see cref="Cpu"/>; meant for
    /// checking a suspicious result, not for training.
    /// </summary>
    public static readonly Device Reference = new("reference", 0);

    /// <summary>The device kind, e.g. <c>"cpu"</c>.</summary>
    public string Kind { get; }

    /// <summary>The index among devices of the same kind.</summary>
    public int Index { get; }

    Device(string kind, int index) { Kind = kind; Index = index; }

    /// <inheritdoc/>
    public bool Equals(Device? other) => other is not null && other.Kind == Kind && other.Index == Index;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Device);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Index);

    /// <summary>Prints like PyTorch: <c>cpu</c>, <c>reference</c>, later <c>cuda:0</c>.</summary>
    public override string ToString() => Kind is "cpu" or "reference" ? Kind : $"{Kind}:{Index}";
}
