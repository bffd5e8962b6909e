namespace Nabla.Primitives.Creation;

/// <summary>
/// Base of the ops without inputs that make a new tensor of <see cref="Shape"/> and <see cref="DType"/>
/// (fills, ranges, random draws), run by <c>Dispatch.Create</c> on a chosen device. Nothing to
/// differentiate: no inputs, so no rules.
/// </summary>
internal abstract class CreationPrimitive(int[] shape, DType dtype) : Primitive
{
    public override bool MayFailInReplay => false;   // fills by shape alone

    /// <summary>The output's shape.</summary>
    public int[] Shape => shape;

    /// <summary>The output's dtype.</summary>
    public DType DType => dtype;

    public sealed override bool SavesInputs => false;

    public sealed override DType OutputDType(Tensor[] x) => dtype;

    public sealed override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [];

    public sealed override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;
}
