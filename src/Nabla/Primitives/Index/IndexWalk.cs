namespace Nabla.Primitives.Index;

/// <summary>
/// Shared by Gather and ScatterAdd: for each element of an index tensor (row-major), the storage
/// offset it addresses in a target tensor, i.e. its own coordinates with coordinate <c>dim</c> replaced
/// by the index value. Values were bounds-checked by the front end.
/// </summary>
internal static class IndexWalk
{
    /// <summary>The index values, row-major, as longs (int32 and int64 index tensors are both accepted).</summary>
    public static long[] Values(Tensor index) => index.DType == DType.Int64
        ? index.ToArray<long>()
        : Array.ConvertAll(index.ToArray<int>(), v => (long)v);

    public static int[] Offsets(Tensor target, int dim, Shape indexShape, long[] values)
    {
        var offsets = new int[values.Length];
        int rank = indexShape.Rank;
        var coords = new int[rank];
        for (int i = 0; i < offsets.Length; i++)
        {
            int o = target.Offset;
            for (int d = 0; d < rank; d++)
                o += (d == dim ? (int)values[i] : coords[d]) * target.Strides[d];
            offsets[i] = o;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++coords[d] < indexShape[d]) break;
                coords[d] = 0;
            }
        }
        return offsets;
    }

    /// <summary>Reference helper: the coordinates in the target of index element <paramref name="flat"/>.</summary>
    public static int[] TargetCoords(Backends.Reference.RefArray index, int flat, int dim)
    {
        var idx = index.Unravel(flat);
        idx[dim] = (int)index.Data[flat];
        return idx;
    }
}
