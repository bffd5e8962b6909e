namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// Shared by the Gather and ScatterAdd kernels: for each element of an index tensor (row-major), the
/// storage offset it addresses in a target tensor, i.e. its own coordinates with coordinate <c>dim</c>
/// replaced by the index value. Values were bounds-checked by the front end.
/// </summary>
internal static class IndexOffsets
{
    /// <summary>The index values, row-major, as longs (int32 and int64 index tensors are both accepted).</summary>
    public static long[] Values(Tensor index)
    {
        if (index.DType == DType.Int64) return Read<long>(index);
        return Array.ConvertAll(Read<int>(index), v => (long)v);
    }

    static T[] Read<T>(Tensor t) where T : unmanaged
    {
        var result = new T[t.NumElements];
        if (result.Length > 0) CopyKernel.CopyInto(t, result, 0);
        return result;
    }

    public static int[] Of(Tensor target, int dim, Shape indexShape, long[] values)
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
}
