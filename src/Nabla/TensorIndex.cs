namespace Nabla;

/// <summary>
/// One entry of a tensor indexer, converted implicitly from what C# writes inside <c>x[...]</c>:
/// an <c>int</c> (negative counts from the end, as in Python) or an <see cref="System.Index"/> such
/// as <c>^1</c> selects one position and drops the dim; a <see cref="System.Range"/> such as
/// <c>1..3</c>, <c>..</c> or <c>^2..</c> keeps the dim (bounds are clamped to the size, as Python
/// slices are). <see cref="Ellipsis"/> stands for all dims not named; <see cref="NewAxis"/> inserts a dim of size 1.
/// </summary>
/// <example><code>
/// var x = Tensor.Arange(24).Reshape(2, 3, 4);
/// x[0].Shape;                                  // [3, 4]
/// x[.., 1..3].Shape;                           // [2, 2, 4]
/// x[^1, 0, 1..].Shape;                         // [3]
/// x[TensorIndex.Ellipsis, 0].Shape;            // [2, 3]
/// x[.., TensorIndex.Slice(.., step: 2)].Shape; // [2, 2, 4]
/// </code></example>
public readonly struct TensorIndex
{
    internal enum Kinds { Single, Range, Ellipsis, NewAxis }

    internal Kinds Kind { get; }
    internal int Position { get; }
    internal bool FromEnd { get; }
    internal Range Span { get; }
    internal int Step { get; }

    TensorIndex(Kinds kind, int position = 0, bool fromEnd = false, Range span = default, int step = 1)
    {
        Kind = kind;
        Position = position;
        FromEnd = fromEnd;
        Span = span;
        Step = step;
    }

    /// <summary>All dims not named by the other entries (Python's <c>...</c>); at most one per indexer.</summary>
    public static TensorIndex Ellipsis => new(Kinds.Ellipsis);

    /// <summary>Inserts a new dim of size 1 here (NumPy's <c>None</c> / <c>np.newaxis</c>).</summary>
    public static TensorIndex NewAxis => new(Kinds.NewAxis);

    /// <summary>A range with a step (Python's <c>start:stop:step</c>); the step must be positive.</summary>
    public static TensorIndex Slice(Range range, int step = 1) => new(Kinds.Range, span: range, step: step);

    /// <summary>One position; a negative value counts from the end (-1 is the last).</summary>
    public static implicit operator TensorIndex(int index) =>
        index < 0 ? new(Kinds.Single, -index, fromEnd: true) : new(Kinds.Single, index);

    /// <summary>One position, from the start or, for <c>^n</c>, from the end.</summary>
    public static implicit operator TensorIndex(Index index) => new(Kinds.Single, index.Value, index.IsFromEnd);

    /// <summary>A range of positions with step 1; the dim is kept.</summary>
    public static implicit operator TensorIndex(Range range) => new(Kinds.Range, span: range);

    /// <summary>Prints like the C# that made it, e.g. <c>^1</c> or <c>1..3</c>.</summary>
    public override string ToString() => Kind switch
    {
        Kinds.Single => FromEnd ? $"^{Position}" : $"{Position}",
        Kinds.Range => Step == 1 ? Span.ToString() : $"{Span} step {Step}",
        Kinds.Ellipsis => "Ellipsis",
        _ => "NewAxis",
    };
}
