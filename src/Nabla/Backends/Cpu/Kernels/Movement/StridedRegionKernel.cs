using Nabla.Primitives.Movement;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="AsStrided"/> (when the input is not laid out like the base) and <see cref="StridedScatter"/>
/// on the CPU: the input is copied into a scratch buffer with the base's strides, so the region's strides
/// and offset address it exactly as they address the base's storage.
/// </summary>
internal static class StridedRegionKernel
{
    public static Tensor AsStrided(AsStrided op, Tensor x)
    {
        var scratch = Scratch(op.Region, x);
        return CopyKernel.Contiguous(RegionOf(op.Region, scratch));
    }

    public static Tensor Scatter(StridedScatter op, Tensor x, Tensor src)
    {
        var region = op.Region;
        var scratch = Scratch(region, x);
        ViewCopy.Copy(src, RegionOf(region, scratch));
        var result = BaseOf(region, scratch);
        // A base without gaps in row-major order is the scratch itself; otherwise gather its elements.
        return result.IsContiguous && region.Extent == result.NumElements ? result : CopyKernel.Contiguous(result);
    }

    /// <summary>A fresh buffer with <paramref name="x"/>'s elements at the base's positions (gaps zeroed).</summary>
    static Tensor Scratch(StridedRegion region, Tensor x)
    {
        var scratch = CpuTensor.Empty(x.DType, new Shape(region.Extent), zeroed: true);
        ViewCopy.Copy(x, BaseOf(region, scratch));
        return scratch;
    }

    static Tensor BaseOf(StridedRegion region, Tensor scratch) =>
        scratch.View(new Shape(region.BaseShape), (int[])region.BaseStrides.Clone(), 0);

    static Tensor RegionOf(StridedRegion region, Tensor scratch) =>
        scratch.View(new Shape(region.ViewShape), (int[])region.ViewStrides.Clone(), region.ViewOffset);
}
