using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>How a block of a <see cref="FusedRows"/> slot lies in memory.</summary>
internal enum RowAccess
{
    /// <summary>Contiguous rows (or cells): the block is one run.</summary>
    Dense,

    /// <summary>One value for every element (a broadcast scalar): a stride-0 operand.</summary>
    Scalar,

    /// <summary>One row for every row (a broadcast [n], as layer norm's weight): the same run in each row.</summary>
    Vector,

    /// <summary>One value per row (contiguous cells), read as a stride-0 operand along each row.</summary>
    Cell,
}

/// <summary>A block of a slot as a step reads it.</summary>
internal readonly ref struct Operand<T>(ReadOnlySpan<T> span, RowAccess access) where T : unmanaged
{
    /// <summary>The block (for a scalar: its one value; for a vector: its one row).</summary>
    public ReadOnlySpan<T> Span { get; } = span;

    /// <summary>1, or 0 for a broadcast scalar.</summary>
    public int Stride => access == RowAccess.Scalar ? 0 : 1;

    /// <summary>Whether a row step may read the block as one run (a dense block or a scalar).</summary>
    public bool Whole => access is RowAccess.Dense or RowAccess.Scalar;

    /// <summary>Row <paramref name="r"/> of the block (a run, or a stride-0 value), for a row step walking row by row.</summary>
    public Operand<T> Row(int r, int n) => access switch
    {
        RowAccess.Dense => new(Span.Slice(r * n, n), RowAccess.Dense),
        RowAccess.Cell => new(Span.Slice(r, 1), RowAccess.Scalar),
        RowAccess.Vector => new(Span, RowAccess.Dense),
        _ => new(Span[..1], RowAccess.Scalar),
    };
}

/// <summary>
/// An input of a <see cref="FusedRows"/> op seen as its slot (a row or a cell): dense, a broadcast scalar, a broadcast
/// vector or cell (read in place), or else (strided, or read by a unary step or a reduction) a contiguous copy.
/// </summary>
internal readonly struct RowInput<T>(T[] data, int offset, RowAccess access) where T : unmanaged
{
    /// <summary>Rows [<paramref name="first"/>, first+count) of the input.</summary>
    public Operand<T> Block(int first, int count, int n) => access switch
    {
        RowAccess.Dense when IsCellSlot => new(data.AsSpan(offset + first, count), n > 1 ? RowAccess.Cell : RowAccess.Dense),
        RowAccess.Dense => new(data.AsSpan(offset + first * n, count * n), RowAccess.Dense),
        RowAccess.Cell => new(data.AsSpan(offset + first, count), RowAccess.Cell),
        RowAccess.Vector => new(data.AsSpan(offset, n), RowAccess.Vector),
        _ => new(data.AsSpan(offset, 1), RowAccess.Scalar),
    };

    /// <summary>Whether the input's slot is a cell slot (one value per row).</summary>
    public bool IsCellSlot { get; init; }

    /// <summary>The array the input is read from.</summary>
    public T[] Data => data;

    /// <summary>Where the input's first element lies in <see cref="Data"/>.</summary>
    public int Offset => offset;

    /// <summary>How the input lies in memory (a strided input was copied to a dense one).</summary>
    public RowAccess Access => access;

    /// <summary>
    /// <paramref name="x"/> read as the row (or cell) slot of <paramref name="op"/>; a layout no access fits (or one that
    /// must be dense) is copied. Allocates nothing but that copy (shapes and strides are compared on the stack).
    /// </summary>
    public static RowInput<T> Of(Tensor x, FusedRows op, bool isRow, bool needsDense)
    {
        var rowShape = op.RowShape;
        int rank = rowShape.Length, n = rowShape[^1];
        Span<int> target = stackalloc int[rank];
        rowShape.CopyTo(target);
        if (!isRow) target[^1] = 1;
        Span<int> strides = stackalloc int[rank];
        BroadcastStrides(x, target, strides);
        var access = IsContiguous(target, strides) ? RowAccess.Dense
            : needsDense ? (RowAccess?)null
            : AllZero(target, strides, rank) ? RowAccess.Scalar
            : !isRow || n == 1 ? null
            : strides[^1] == 1 && AllZero(target, strides, rank - 1) ? RowAccess.Vector
            : strides[^1] == 0 && IsContiguous(target[..^1], strides[..^1]) ? RowAccess.Cell
            : null;
        if (access is { } found) return new RowInput<T>(x.Data<T>(), x.Offset, found) { IsCellSlot = !isRow };
        var shape = target.ToArray();
        var dense = CopyKernel.AsContiguous(x.View(new Shape(shape), strides.ToArray(), x.Offset));
        return new RowInput<T>(dense.Data<T>(), dense.Offset, RowAccess.Dense) { IsCellSlot = !isRow };
    }

    /// <summary>x's strides as a view of the larger <paramref name="target"/> shape (0 along each broadcast dim).</summary>
    static void BroadcastStrides(Tensor x, ReadOnlySpan<int> target, Span<int> strides)
    {
        strides.Clear();
        int lead = target.Length - x.Rank;
        for (int d = lead; d < target.Length; d++)
            strides[d] = x.Shape[d - lead] == 1 && target[d] != 1 ? 0 : x.Strides[d - lead];
    }

    /// <summary>Whether <paramref name="strides"/> are the contiguous strides of <paramref name="shape"/> along every dim longer than 1.</summary>
    static bool IsContiguous(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        int expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /// <summary>Whether the first <paramref name="dims"/> strides are 0 along every dim longer than 1.</summary>
    static bool AllZero(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int dims)
    {
        for (int d = 0; d < dims; d++)
            if (shape[d] != 1 && strides[d] != 0) return false;
        return true;
    }
}
