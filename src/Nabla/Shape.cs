using System.Collections;

namespace Nabla;

/// <summary>
/// The immutable list of a tensor's dimension sizes. <c>x.Shape.ToArray()</c> gives a fresh <c>int[]</c>;
/// <c>x.Shape[i]</c> (negative <c>i</c> counts from the end) one size. Prints like <c>[2, 3]</c>.
/// </summary>
public sealed class Shape : IReadOnlyList<int>, IEquatable<Shape>
{
    readonly int[] _dims;

    /// <summary>Creates a shape; every size must be zero or more.</summary>
    public Shape(params int[] dims)
    {
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"Shape: sizes must be >= 0, got [{string.Join(", ", dims)}].");
        _dims = (int[])dims.Clone();
    }

    internal static Shape Wrap(int[] dims) => new(dims, owned: true);

    Shape(int[] dims, bool owned) { _ = owned; _dims = dims; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <summary>Number of dimensions (same as <see cref="Rank"/>).</summary>
    public int Count => _dims.Length;

    /// <summary>Product of the sizes (1 for a scalar).</summary>
    public int NumElements
    {
        get
        {
            long n = 1;
            foreach (var d in _dims) n *= d;
            return checked((int)n);
        }
    }

    /// <summary>The size of dimension <paramref name="dim"/>; negative values count from the end.</summary>
    public int this[int dim] => _dims[dim < 0 ? dim + _dims.Length : dim];

    internal ReadOnlySpan<int> Span => _dims;

    internal int[] Dims => _dims;

    /// <summary>A fresh copy of the sizes.</summary>
    public int[] ToArray() => (int[])_dims.Clone();

    /// <inheritdoc/>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)_dims).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _dims.GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Shape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Prints like <c>[2, 3]</c>.</summary>
    public override string ToString() => Format(_dims);

    internal static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    /// <summary>Row-major (C-contiguous) strides for these sizes.</summary>
    internal static int[] ContiguousStrides(ReadOnlySpan<int> dims)
    {
        var strides = new int[dims.Length];
        int s = 1;
        for (int i = dims.Length - 1; i >= 0; i--) { strides[i] = s; s *= Math.Max(dims[i], 1); }
        return strides;
    }
}
