namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// The check an into-form (<see cref="KernelEntry.Into"/>) of a kernel that makes a fresh contiguous tensor
/// makes of the tensor it is given to write instead: what the kernel would have made, and safe to write while
/// the inputs are read.
/// </summary>
internal static class IntoOutput
{
    /// <summary>
    /// Whether <paramref name="y"/> is a CPU tensor of <paramref name="dtype"/> and <paramref name="shape"/>,
    /// contiguous from the start of its own array (kernels write from index 0 of <c>Data</c>), sharing no
    /// memory with any of <paramref name="inputs"/>.
    /// </summary>
    public static bool Fits(Tensor y, DType dtype, ReadOnlySpan<int> shape, params ReadOnlySpan<Tensor> inputs)
    {
        if (y.DType != dtype || y.Offset != 0 || !y.IsContiguous || !ReferenceEquals(y.Storage.Backend, CpuBackend.Instance) ||
            !y.Shape.Span.SequenceEqual(shape))
            return false;
        foreach (var x in inputs)
            if (x.SharesStorage(y)) return false;
        return true;
    }
}
