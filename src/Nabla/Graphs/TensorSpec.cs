using Nabla.Engine;

namespace Nabla;

/// <summary>
/// What one argument of a compiled function must look like (tf.TensorSpec in an <c>input_signature</c>): its rank,
/// its sizes with <c>null</c> for a dynamic dimension (any size; one trace serves them all), and optionally its dtype.
/// <code>Graph.Compile(f, new CompileOptions { InputSignature = [new TensorSpec([null, 784])] })</code>
/// </summary>
public sealed record TensorSpec
{
    readonly int?[] _shape;

    /// <summary>A spec of rank <c>shape.Length</c>; <c>null</c> sizes are dynamic. <paramref name="dtype"/> null: any dtype.</summary>
    public TensorSpec(int?[] shape, DType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (var d in shape)
            if (d < 0) throw Errors.Arg("TensorSpec", $"sizes must be >= 0 or null (dynamic), got [{Format(shape)}].");
        _shape = (int?[])shape.Clone();
        DType = dtype;
    }

    /// <summary>The sizes; <c>null</c> marks a dynamic dimension.</summary>
    public IReadOnlyList<int?> Shape => _shape;

    /// <summary>The required dtype, or null for any.</summary>
    public DType? DType { get; }

    /// <summary>The dynamic dimensions as a bit mask (bit d: dimension d).</summary>
    internal ulong DynamicMask
    {
        get
        {
            ulong mask = 0;
            for (int d = 0; d < _shape.Length && d < 64; d++)
                if (_shape[d] is null) mask |= 1UL << d;
            return mask;
        }
    }

    /// <summary>Why <paramref name="t"/> does not fit the spec, or null when it does.</summary>
    internal string? Mismatch(Tensor t)
    {
        if (t.Rank != _shape.Length) return $"rank {t.Rank} ({t.Shape}), but the signature says rank {_shape.Length} ({this})";
        for (int d = 0; d < _shape.Length; d++)
            if (_shape[d] is { } size && t.Shape[d] != size) return $"shape {t.Shape}, but the signature says {this} (dim {d} must be {size})";
        if (DType is { } dtype && t.DType != dtype) return $"dtype {t.DType.TorchName()}, but the signature says {dtype.TorchName()}";
        return null;
    }

    /// <summary>Prints like <c>[None, 784]</c> (TF's notation for a dynamic size), with the dtype when one is required.</summary>
    public override string ToString() => $"[{Format(_shape)}]" + (DType is { } d ? $" {d.TorchName()}" : "");

    static string Format(int?[] shape) => string.Join(", ", shape.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "None"));

    /// <inheritdoc/>
    public bool Equals(TensorSpec? other) => other is not null && DType == other.DType && _shape.AsSpan().SequenceEqual(other._shape);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(DType, _shape.Length);
}
