namespace Nabla;

/// <summary>Where a tensor's memory lives. Only <see cref="Cpu"/> exists today; GPU devices come later.</summary>
public sealed class Device : IEquatable<Device>
{
    /// <summary>The host CPU.</summary>
    public static readonly Device Cpu = new("cpu", 0);

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

    /// <summary>Prints like PyTorch: <c>cpu</c>.</summary>
    public override string ToString() => Kind == "cpu" ? "cpu" : $"{Kind}:{Index}";
}
