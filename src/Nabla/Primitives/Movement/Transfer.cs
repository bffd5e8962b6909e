using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// The same values on another device (a copy through host memory, run by <c>Dispatch.Transfer</c>
/// rather than one backend's kernel, since it spans two). y = x ; dy = dx moved ; gx = gy moved back.
/// </summary>
internal sealed class Transfer(Device from, Device to) : Primitive
{
    public Device From => from;
    public Device To => to;

    public override string Name => "to";
    public override string GradName => "ToCopyBackward";
    public override bool SavesInputs => false;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy.To(from)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0]?.To(to);

    public override RefArray Reference(RefArray[] x) => new((double[])x[0].Data.Clone(), (int[])x[0].Shape.Clone());
}
