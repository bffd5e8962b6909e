using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// A copy of a base-shaped x with the region a view covers (<see cref="StridedRegion"/>) replaced by
/// src: the history PyTorch gives a base after an in-place op through one of its views (its node is
/// called CopySlices). Linear in (x, src); the region must not overlap itself.
/// y = x with y[region] = src ; dy = scatter(dx, dsrc) ; gx = gy with the region zeroed, gsrc = gy[region]
/// </summary>
internal sealed class StridedScatter(StridedRegion region) : Primitive
{
    public StridedRegion Region => region;

    public override string Name => "as_strided_scatter";
    public override string GradName => "CopySlices";
    public override bool SavesInputs => false;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
    [
        needs[0] ? Tensor.StridedScatter(gy, Tensor.Zeros(region.ViewShape, gy.DType, device: gy.Device), region) : null,
        needs[1] ? Tensor.AsStrided(gy, region) : null,
    ];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null && dx[1] is null) return null;
        var like = (dx[0] ?? dx[1])!;
        var dBase = dx[0] ?? Tensor.Zeros(region.BaseShape, like.DType, device: like.Device);
        var dSrc = dx[1] ?? Tensor.Zeros(region.ViewShape, like.DType, device: like.Device);
        return Tensor.StridedScatter(dBase, dSrc, region);
    }

    public override RefArray Reference(RefArray[] x)
    {
        var scratch = region.ReferenceScratch(x[0]);
        region.ReferenceWrite(scratch, x[1]);
        return region.ReferenceBase(scratch);
    }
}
