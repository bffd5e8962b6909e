using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// The elements of a base-shaped input that a view covers (<see cref="StridedRegion"/>): how a view's
/// history is rebuilt from its base after the base changed in place (PyTorch's AsStridedBackward). A view
/// when the input is laid out like the base; otherwise the kernel places the input at the base's
/// positions first. The region never overlaps itself (expanded views are rebuilt as AsStrided + Expand).
/// y = x[region] ; dy = dx[region] ; gx = zeros(base) with gy written into the region (StridedScatter)
/// </summary>
internal sealed class AsStrided(StridedRegion region) : Primitive
{
    public StridedRegion Region => region;

    public override string Name => "as_strided";
    public override string GradName => "AsStridedBackward";
    public override bool SavesInputs => false;

    public override Tensor? TryView(Tensor[] x) =>
        region.LaidOutLikeBase(x[0]) ? x[0].View(new Shape(region.ViewShape), (int[])region.ViewStrides.Clone(), x[0].Offset + region.ViewOffset) : null;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        [Tensor.StridedScatter(Tensor.Zeros(region.BaseShape, gy.DType, device: gy.Device), gy, region)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Tensor.AsStrided(dx[0]!, region);

    public override RefArray Reference(RefArray[] x) => region.ReferenceRead(region.ReferenceScratch(x[0]));
}
