using System.Collections;
using System.Diagnostics;
using System.Numerics;
using System.Reflection;
using Nabla.Engine;
using System.Diagnostics.CodeAnalysis;

namespace Nabla;

/// <summary>
/// The immutable list of a tensor's dimension sizes. <c>x.Shape.ToArray()</c> gives a fresh <c>int[]</c>;
/// <c>x.Shape[i]</c> (negative <c>i</c> counts from the end) one size. Prints like <c>[2, 3]</c>.
/// Every shape is valid by construction: sizes are zero or more, there are at most <see cref="MaxRank"/>
/// of them, and their product fits in <see cref="MaxElements"/> (a shape with a zero size has no elements
/// and is always allowed, as in PyTorch).
/// </summary>
public sealed class Shape : IReadOnlyList<int>, IEquatable<Shape>
{
    /// <summary>
    /// The most dimensions a tensor may have: 64, as PyTorch. A deeper shape (for instance from a
    /// hostile file) is refused with an error naming the op, instead of exhausting memory or the stack.
    /// </summary>
    public const int MaxRank = 64;

    /// <summary>
    /// The most elements a tensor may have: 2^31 - 1. Offsets and strides are <c>int</c> and every
    /// kernel indexes with them, so the limit holds for views too (an expanded view holds no memory
    /// but is still indexed element by element).
    /// </summary>
    public const int MaxElements = int.MaxValue;

    readonly int[] _dims;
    readonly int _count;

    /// <summary>
    /// Creates a shape. Throws <see cref="ArgumentException"/> when a size is negative, there are more
    /// than <see cref="MaxRank"/> sizes, or their product is more than <see cref="MaxElements"/>.
    /// </summary>
    public Shape(params int[] dims) : this(Validated(null, (int[])(dims ?? throw new ArgumentNullException(nameof(dims))).Clone())) { }

    Shape((int[] Dims, int Count) valid) { _dims = valid.Dims; _count = valid.Count; }

    /// <summary>A shape over <paramref name="dims"/> itself (the caller gives the array up), checked.</summary>
    internal static Shape Wrap(int[] dims) => new(Validated(null, dims));

    /// <summary>
    /// A checked copy of <paramref name="dims"/>: the front end of a public op calls this so that a bad
    /// shape is reported under the op's name (<paramref name="op"/>) with the caller's file:line.
    /// </summary>
    internal static Shape Of(string op, int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        return new(Validated(op, (int[])dims.Clone()));
    }

    /// <summary>
    /// The element count of <paramref name="dims"/>; throws, naming <paramref name="op"/>, unless they are a
    /// valid shape (see <see cref="Shape"/>). Front ends call it on a shape they computed before using it.
    /// </summary>
    internal static int CheckedCount(string op, ReadOnlySpan<int> dims) => CountOf(op, dims);

    static (int[] Dims, int Count) Validated(string? op, int[] dims) => (dims, CountOf(op, dims));

    /// <summary>
    /// The element count of <paramref name="dims"/>, or an error naming <paramref name="op"/> (null: the
    /// public method the user called, found on the stack). This is the one place where sizes are multiplied:
    /// the product is computed so that it can never wrap.
    /// </summary>
    static int CountOf(string? op, ReadOnlySpan<int> dims)
    {
        if (dims.Length > MaxRank)
            throw Errors.Arg(op ?? EntryOp(), $"a shape of rank {dims.Length} ({Brief(dims)}) has more than the {MaxRank} dims a tensor may have " +
                "(the same limit as PyTorch). Merge dimensions with Reshape, or check where the shape came from.");
        bool empty = false;
        foreach (var d in dims)
        {
            if (d < 0) throw Errors.Arg(op ?? EntryOp(), $"sizes must be >= 0, got {Brief(dims)}.");
            empty |= d == 0;
        }
        // NB: a zero anywhere makes the tensor empty whatever the other sizes are, as PyTorch's numel.
        if (empty) return 0;
        long n = 1;
        foreach (var d in dims)
        {
            n *= d;   // both factors <= 2^31 - 1, so this cannot wrap before the test below stops it
            if (n > MaxElements)
                throw Errors.Arg(op ?? EntryOp(), $"shape {Brief(dims)} has {Product(dims)} elements, more than the {MaxElements} (2^31 - 1) " +
                    "a tensor can hold (offsets and strides are int). Use smaller tensors, for instance split the batch.");
        }
        return (int)n;
    }

    /// <summary>
    /// For a shape made deep inside an op (a kernel's output), the op the user called: the outermost Nabla
    /// method before the user's code, e.g. <c>Tensor.Sum</c>; <c>Shape</c> when the user made the shape.
    /// Only on the error path (a stack walk). NB: a release build may inline a small front end, which then
    /// names the method it called.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only names the op in a message; frames without metadata (trimmed, NativeAOT) are skipped and the name falls back to \"Shape\".")]
    static string EntryOp()
    {
        var self = typeof(Shape).Assembly;
        MethodBase? entry = null;
        foreach (var frame in new StackTrace(1).GetFrames())
        {
            var method = frame.GetMethod();
            var type = method?.DeclaringType;
            if (type is null) continue;
            if (type.Assembly == self) entry = method;
            // Runtime frames (LINQ, thread pool) may sit between Nabla frames; the user's code ends the walk.
            else if (entry is not null && !(type.Namespace ?? "").StartsWith("System", StringComparison.Ordinal)) break;
        }
        if (entry is null) return "Shape";
        var owner = entry.DeclaringType!;
        while (owner.Name.StartsWith('<') && owner.DeclaringType is { } outer) owner = outer;   // lambdas, iterators
        return entry.IsConstructor ? owner.Name : $"{owner.Name}.{entry.Name}";
    }

    /// <summary>The exact product of <paramref name="dims"/>, for messages.</summary>
    internal static BigInteger Product(ReadOnlySpan<int> dims)
    {
        BigInteger n = BigInteger.One;
        foreach (var d in dims) n *= d;
        return n;
    }

    /// <summary>Like <see cref="Format"/>, but a long shape shows its first and last sizes and its rank only.</summary>
    internal static string Brief(ReadOnlySpan<int> dims) =>
        dims.Length <= 2 * MaxRank ? Format(dims)
        : $"[{string.Join(", ", dims[..4].ToArray())}, ..., {string.Join(", ", dims[^4..].ToArray())}] (rank {dims.Length})";

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <summary>Number of dimensions (same as <see cref="Rank"/>).</summary>
    public int Count => _dims.Length;

    /// <summary>Product of the sizes (1 for a scalar, 0 when some size is 0); at most <see cref="MaxElements"/>.</summary>
    public int NumElements => _count;

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

    /// <summary>
    /// Row-major (C-contiguous) strides for these sizes. NB: only an empty shape can have trailing
    /// products past <see cref="MaxElements"/>; its strides are never used to read, so they saturate
    /// instead of wrapping negative.
    /// </summary>
    internal static int[] ContiguousStrides(ReadOnlySpan<int> dims)
    {
        var strides = new int[dims.Length];
        long s = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            strides[i] = (int)Math.Min(s, MaxElements);
            s = Math.Min(s * Math.Max(dims[i], 1), MaxElements + 1L);
        }
        return strides;
    }
}
