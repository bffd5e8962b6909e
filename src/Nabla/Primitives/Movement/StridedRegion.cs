using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// Where a view lies inside its base, in storage terms: the base's sizes and strides, and the view's
/// sizes, strides and offset (relative to the base's first element). This is all PyTorch's view+base
/// tracking needs to rewrite a base's history after an in-place change through any view (slice,
/// transpose, permute, reshape, indexing, views of views): <see cref="AsStrided"/> reads the region,
/// <see cref="StridedScatter"/> writes it.
/// </summary>
/// <remarks>
/// A tensor "laid out like the base" is addressed with the base's strides; any other tensor of the base's
/// shape is first placed into a scratch buffer of <see cref="Extent"/> elements with those strides, so
/// bases with gaps or permuted strides work too. The base must not overlap itself (checked by the caller).
/// </remarks>
internal sealed record StridedRegion(int[] BaseShape, int[] BaseStrides, int[] ViewShape, int[] ViewStrides, int ViewOffset)
{
    /// <summary>The region <paramref name="view"/> covers in <paramref name="baseTensor"/>'s storage.</summary>
    public static StridedRegion Of(Tensor baseTensor, Tensor view) =>
        new(baseTensor.Shape.ToArray(), (int[])baseTensor.Strides.Clone(), view.Shape.ToArray(), (int[])view.Strides.Clone(),
            view.Offset - baseTensor.Offset);

    /// <summary>Storage elements a buffer laid out like the base spans (0 when the base is empty).</summary>
    public int Extent => Span(BaseShape, BaseStrides);

    /// <summary>True when <paramref name="x"/> (of the base's shape) uses the base's strides, so the region can be viewed directly.</summary>
    public bool LaidOutLikeBase(Tensor x)
    {
        for (int d = 0; d < BaseShape.Length; d++)
            if (BaseShape[d] > 1 && x.Strides[d] != BaseStrides[d]) return false;
        return true;
    }

    /// <summary>True when two elements of the base share a storage location (a zero stride on a dim of size > 1).</summary>
    public static bool Overlaps(Tensor t)
    {
        for (int d = 0; d < t.Rank; d++)
            if (t.Strides[d] == 0 && t.Shape[d] > 1) return true;
        return false;
    }

    static int Span(int[] shape, int[] strides)
    {
        long last = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 0) return 0;
            last += (long)(shape[d] - 1) * strides[d];
        }
        return checked((int)(last + 1));
    }

    // Reference helpers: the same storage walk in double precision, element by element.

    /// <summary>A scratch buffer with <paramref name="x"/> (of the base's shape) written at the base's positions.</summary>
    public double[] ReferenceScratch(RefArray x)
    {
        var scratch = new double[Extent];
        for (int i = 0; i < x.Count; i++) scratch[Position(x.Unravel(i), BaseStrides, 0)] = x.Data[i];
        return scratch;
    }

    /// <summary>The region of a scratch buffer, row-major.</summary>
    public RefArray ReferenceRead(double[] scratch)
    {
        var y = RefArray.Zeros(ViewShape);
        for (int j = 0; j < y.Count; j++) y.Data[j] = scratch[Position(y.Unravel(j), ViewStrides, ViewOffset)];
        return y;
    }

    /// <summary>Writes <paramref name="src"/> (of the view's shape) into the region of a scratch buffer.</summary>
    public void ReferenceWrite(double[] scratch, RefArray src)
    {
        for (int j = 0; j < src.Count; j++) scratch[Position(src.Unravel(j), ViewStrides, ViewOffset)] = src.Data[j];
    }

    /// <summary>The base's elements of a scratch buffer, row-major.</summary>
    public RefArray ReferenceBase(double[] scratch)
    {
        var y = RefArray.Zeros(BaseShape);
        for (int i = 0; i < y.Count; i++) y.Data[i] = scratch[Position(y.Unravel(i), BaseStrides, 0)];
        return y;
    }

    static int Position(int[] idx, int[] strides, int offset)
    {
        int p = offset;
        for (int d = 0; d < idx.Length; d++) p += idx[d] * strides[d];
        return p;
    }
}
