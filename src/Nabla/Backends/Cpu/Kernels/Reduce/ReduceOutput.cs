namespace Nabla.Backends.Cpu.Kernels;

/// <summary>The check every reduction's into-form makes of the tensor it is to write (<see cref="KernelEntry.Into"/>).</summary>
internal static class ReduceOutput
{
    /// <summary>
    /// Whether <paramref name="y"/> is what the reduction of <paramref name="axes"/> would have made for
    /// <paramref name="x"/>: a tensor of x's dtype and device, shaped as x with those axes kept as size 1
    /// (<paramref name="keepDim"/>) or dropped, contiguous from the start of its own array (the driver writes
    /// from index 0), sharing no memory with x.
    /// </summary>
    public static bool Fits(Tensor x, Tensor y, int[] axes, bool keepDim)
    {
        if (y.DType != x.DType || y.Offset != 0 || !y.IsContiguous || y.Device != x.Device) return false;
        ReadOnlySpan<int> xs = x.Shape.Span, ys = y.Shape.Span;
        int k = 0;
        for (int d = 0; d < xs.Length; d++)
        {
            bool reduced = Array.IndexOf(axes, d) >= 0;
            if (reduced && !keepDim) continue;
            if (k >= ys.Length || ys[k++] != (reduced ? 1 : xs[d])) return false;
        }
        return k == ys.Length && !y.SharesStorage(x);
    }
}
