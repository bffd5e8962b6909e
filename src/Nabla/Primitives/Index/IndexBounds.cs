namespace Nabla.Primitives.Index;

/// <summary>
/// Bounds checks of index values (Gather, ScatterAdd, CrossEntropy's targets) done by the front end before
/// an op runs. Eagerly the values are read to the host and looped over. Inside a compiled function that
/// read would be a guard on every index value, so a graph traced for one batch of labels would retrace for
/// the next; there the check runs as tensor ops and reads back one count, a guard that stays 0 for valid data.
/// </summary>
internal static class IndexBounds
{
    /// <summary>The first value of <paramref name="index"/> (row-major) outside [0, <paramref name="size"/>) and not <paramref name="allowed"/>; null when none.</summary>
    public static long? FirstOutOfRange(Tensor index, long size, long? allowed = null)
    {
        if (!Graph.IsTracing)
        {
            var values = index.DType is DType.Int64 or DType.Int32 ? IndexWalk.Values(index) : index.To(DType.Int64).ToArray<long>();
            foreach (var v in values)
                if ((v < 0 || v >= size) && v != allowed) return v;
            return null;
        }
        var flat = index.To(DType.Int64).Reshape(-1);
        var outside = Tensor.LogicalAnd(flat.Ge(0L), flat.Lt(size)).Eq(0L);
        if (allowed is long a) outside = Tensor.LogicalAnd(outside, flat.Eq(a).Eq(0L));
        var bad = outside.To(DType.Int64);
        if (bad.Sum().Item<long>() == 0) return null;
        return flat.Narrow(0, (int)bad.ArgMax().Item<long>(), 1).Item<long>();   // ArgMax: the first 1
    }
}
