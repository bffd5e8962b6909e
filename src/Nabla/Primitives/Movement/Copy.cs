using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// A fresh contiguous copy that owns its storage (torch.clone): later in-place changes to either
/// tensor don't reach the other. The identity map, so it is its own transpose.
/// y = x ; dy = dx ; gx = gy
/// </summary>
internal sealed class Copy : Primitive
{
    public override string Name => "clone";
    public override bool MayFailInReplay => false;   // moves values by shape alone
    public override bool SavesInputs => false;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0];

    public override RefArray Reference(RefArray[] x) => new((double[])x[0].Data.Clone(), (int[])x[0].Shape.Clone());
}
