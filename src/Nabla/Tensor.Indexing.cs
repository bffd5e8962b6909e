using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Basic indexing as in PyTorch, with C# indices and ranges: an <c>int</c> or <c>^n</c> picks one
    /// position and drops the dim, a range (<c>1..3</c>, <c>..</c>, <c>^2..</c>) keeps it; dims not
    /// named are taken whole. The result is a view sharing storage (in-place changes show through).
    /// Out-of-range positions throw <see cref="ArgumentOutOfRangeException"/> naming the dim and its
    /// size; range bounds are clamped, as Python slices are.
    /// </summary>
    /// <example><code>
    /// var x = Tensor.Arange(12).Reshape(3, 4);
    /// x[1];        // row 1, shape [4]
    /// x[.., 1..3]; // columns 1 and 2, shape [3, 2]
    /// x[^1];       // last row
    /// x[0, 1..];   // shape [3]
    /// </code></example>
    [System.Runtime.CompilerServices.IndexerName("Slice")]
    public Tensor this[params TensorIndex[] indices] => IndexWith(indices);

    Tensor IndexWith(TensorIndex[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int named = 0, ellipses = 0;
        foreach (var ix in indices)
        {
            if (ix.Kind is TensorIndex.Kinds.Single or TensorIndex.Kinds.Range) named++;
            if (ix.Kind == TensorIndex.Kinds.Ellipsis) ellipses++;
        }
        if (ellipses > 1) throw Errors.Arg("Tensor indexer", "at most one Ellipsis is allowed.");
        if (named > Rank)
            throw Errors.Arg("Tensor indexer", $"too many indices: {named} given for a tensor of rank {Rank} (shape {Shape}).");

        var start = new int[Rank];
        var step = new int[Rank];
        var count = Shape.ToArray();
        Array.Fill(step, 1);
        var final = new List<int>();
        int d = 0;
        foreach (var ix in indices)
        {
            switch (ix.Kind)
            {
                case TensorIndex.Kinds.Ellipsis:
                    for (int k = 0; k < Rank - named; k++, d++) final.Add(Shape[d]);
                    break;
                case TensorIndex.Kinds.NewAxis:
                    final.Add(1);
                    break;
                case TensorIndex.Kinds.Single:
                    start[d] = ResolvePosition("Tensor indexer", d, ix.Position, ix.FromEnd, ix.ToString());
                    count[d] = 1;
                    d++;
                    break;
                default:
                    (start[d], step[d], count[d]) = ResolveRange(d, ix.Span, ix.Step);
                    final.Add(count[d]);
                    d++;
                    break;
            }
        }
        for (; d < Rank; d++) final.Add(Shape[d]);
        var sliced = SliceWindow(this, start, step, count);
        if (!sliced.Shape.Span.SequenceEqual(final.ToArray())) return sliced.Reshape(final.ToArray());
        return ReferenceEquals(sliced, this) ? Alias() : sliced;
    }

    int ResolvePosition(string op, int dim, int position, bool fromEnd, string written)
    {
        int size = Shape[dim];
        int p = fromEnd ? size - position : position;
        if (p < 0 || p >= size)
            throw new ArgumentOutOfRangeException(null,
                $"{op}: index {written} is out of range for dim {dim} of size {size} (shape {Shape}); valid positions are " +
                $"{(size == 0 ? "none" : $"0..{size - 1} or ^{size}..^1")} (called from {CallSite.Describe()})");
        return p;
    }

    (int Start, int Step, int Count) ResolveRange(int dim, Range range, int step)
    {
        if (step <= 0)
            throw Errors.Arg("Tensor indexer", $"slice step must be positive, got {step} for dim {dim}; use Flip(dim) to reverse.");
        int size = Shape[dim];
        int lo = Math.Clamp(range.Start.IsFromEnd ? size - range.Start.Value : range.Start.Value, 0, size);
        int hi = Math.Clamp(range.End.IsFromEnd ? size - range.End.Value : range.End.Value, 0, size);
        int n = hi <= lo ? 0 : (hi - lo + step - 1) / step;
        return (n == 0 ? 0 : lo, step, n);
    }

    /// <summary>
    /// The <paramref name="length"/> elements of dim <paramref name="dim"/> starting at
    /// <paramref name="start"/> (negative counts from the end), as a view; torch.narrow.
    /// </summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = NormalizeDim("Narrow", dim);
        int size = Shape[d];
        int s = start < 0 ? start + size : start;
        if (s < 0 || s > size || length < 0 || s + length > size)
            throw new ArgumentOutOfRangeException(null,
                $"Narrow: start {start} and length {length} do not fit in dim {dim} of size {size} (shape {Shape}) " +
                $"(called from {CallSite.Describe()})");
        var begin = new int[Rank];
        var step = new int[Rank];
        var count = Shape.ToArray();
        Array.Fill(step, 1);
        begin[d] = s;
        count[d] = length;
        var y = SliceWindow(this, begin, step, count);
        return ReferenceEquals(y, this) ? Alias() : y;
    }

    /// <summary>Reverses the order of elements along each of <paramref name="dims"/> (a copy, as torch.flip).</summary>
    public Tensor Flip(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var normalized = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            normalized[i] = NormalizeDim("Flip", dims[i]);
            if (Array.IndexOf(normalized, normalized[i], 0, i) >= 0)
                throw Errors.Arg("Flip", $"dim {dims[i]} appears twice in {Shape.Format(dims)}.");
        }
        return Dispatch.Call(new Primitives.Movement.Flip(normalized), this);
    }

    /// <summary>
    /// Zero padding, laid out as torch.nn.functional.pad: <paramref name="padding"/> holds (before, after)
    /// pairs starting from the LAST dim, e.g. <c>Pad(1, 1)</c> pads the last dim by one on each side and
    /// <c>Pad(0, 0, 2, 0)</c> adds two rows at the top of a matrix. Amounts must be zero or more, and the
    /// padded tensor must fit <see cref="Shape.MaxElements"/> (else an <see cref="ArgumentException"/>).
    /// </summary>
    public Tensor Pad(params int[] padding)
    {
        ArgumentNullException.ThrowIfNull(padding);
        if (padding.Length % 2 != 0 || padding.Length / 2 > Rank)
            throw Errors.Arg("Pad", $"padding {Shape.Format(padding)} must hold (before, after) pairs for at most {Rank} dims (shape {Shape}).");
        var outShape = Shape.ToArray();
        var start = new int[Rank];
        var step = new int[Rank];
        Array.Fill(step, 1);
        for (int i = 0; i < padding.Length / 2; i++)
        {
            int dim = Rank - 1 - i;
            int before = padding[2 * i], after = padding[2 * i + 1];
            if (before < 0 || after < 0)
                throw Errors.Arg("Pad", $"padding amounts must be >= 0, got {Shape.Format(padding)}; use the indexer or Narrow to crop.");
            long size = (long)outShape[dim] + before + after;   // NB: in long, so Pad(int.MaxValue, 1) cannot wrap negative
            if (size > Shape.MaxElements)
                throw Errors.Arg("Pad", $"padding {Shape.Format(padding)} makes dim {dim} of shape {Shape} {size} long, more than the " +
                    $"{Shape.MaxElements} (2^31 - 1) elements a tensor can hold.");
            start[dim] = before;
            outShape[dim] = (int)size;
        }
        Shape.CheckedCount("Pad", outShape);
        var y = PadWindow(this, outShape, start, step);
        return ReferenceEquals(y, this) ? Alias() : y;
    }

    /// <summary>Differentiable strided window (Slice primitive); returns <paramref name="x"/> itself when the window is all of it.</summary>
    internal static Tensor SliceWindow(Tensor x, int[] start, int[] step, int[] count)
    {
        bool whole = true;
        for (int d = 0; d < x.Rank; d++) whole &= start[d] == 0 && count[d] == x.Shape[d] && (step[d] == 1 || count[d] <= 1);
        return whole ? x : Dispatch.Call(new Primitives.Movement.Slice(x.Shape.ToArray(), (int[])start.Clone(), (int[])step.Clone(), (int[])count.Clone()), x);
    }

    /// <summary>Differentiable zero padding into a window of <paramref name="outputShape"/> (Pad primitive, Slice's transpose).</summary>
    internal static Tensor PadWindow(Tensor x, int[] outputShape, int[] start, int[] step) =>
        x.Shape.Span.SequenceEqual(outputShape)
            ? x
            : Dispatch.Call(new Primitives.Movement.Pad(x.Shape.ToArray(), (int[])outputShape.Clone(), (int[])start.Clone(), (int[])step.Clone()), x);

    /// <summary>The leading window of <paramref name="t"/> with sizes <paramref name="shape"/>, as a raw view (kernels only).</summary>
    internal static Tensor Window(Tensor t, int[] shape) => t.View(new Shape(shape), t.Strides, t.Offset);
}
