namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// The shared layout of the per-line CPU kernels (argmax, median, scans, sort): the lines along a dim laid last, so each
/// is one contiguous run, and a result made in that layout put back in the input's dim order.
/// </summary>
internal static class LinesAlong
{
    /// <summary><paramref name="x"/> with <paramref name="dim"/> moved last, contiguous (x itself when that is already its layout).</summary>
    public static Tensor Laid(Tensor x, int dim)
    {
        var order = Order(x.Rank, dim);
        return CopyKernel.AsContiguous(x.View(new Shape([.. order.Select(d => x.Shape[d])]), [.. order.Select(d => x.Strides[d])], x.Offset));
    }

    /// <summary>
    /// <paramref name="y"/>, contiguous in the layout <see cref="Laid"/> gives, as a contiguous tensor of <paramref name="shape"/>
    /// (y itself when <paramref name="dim"/> was already last).
    /// </summary>
    public static Tensor Back(Tensor y, Shape shape, int dim)
    {
        int rank = shape.Rank;
        if (dim == rank - 1) return y;
        var order = Order(rank, dim);
        var inverse = new int[rank];
        for (int k = 0; k < rank; k++) inverse[order[k]] = k;
        return CopyKernel.AsContiguous(y.View(shape, [.. inverse.Select(k => y.Strides[k])], 0));
    }

    /// <summary>The dims in order with <paramref name="dim"/> moved last.</summary>
    static int[] Order(int rank, int dim) => [.. Enumerable.Range(0, rank).Where(d => d != dim).Append(dim)];
}
