namespace Nabla.Primitives.Index;

/// <summary>
/// Shared by Gather and ScatterAdd: index element i addresses, in the target, its own coordinates with
/// coordinate <c>dim</c> replaced by its value (the front end bounds-checks the values with
/// <see cref="Values"/>; the reference loops use <see cref="TargetCoords"/>; the CPU kernels turn the
/// same rule into storage offsets in <c>Backends/Cpu/Kernels/Index/IndexOffsets.cs</c>).
/// </summary>
internal static class IndexWalk
{
    /// <summary>The index values, row-major, as longs (int32 and int64 index tensors are both accepted).</summary>
    public static long[] Values(Tensor index) => index.DType == DType.Int64
        ? index.ToArray<long>()
        : Array.ConvertAll(index.ToArray<int>(), v => (long)v);

    /// <summary>Reference helper: the coordinates in the target of index element <paramref name="flat"/>.</summary>
    public static int[] TargetCoords(Backends.Reference.RefArray index, int flat, int dim)
    {
        var idx = index.Unravel(flat);
        idx[dim] = (int)index.Data[flat];
        return idx;
    }
}
