using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// Same elements in row-major order, other sizes: a view when the input is contiguous, else a copy.
/// y = reshape(x) ; dy = reshape(dx) ; gx = reshape(gy, input shape)
/// </summary>
internal sealed class Reshape(int[] inputShape, int[] outputShape) : Primitive
{
    public override string Name => "reshape";
    public override string GradName => "ViewBackward";
    public override bool SavesInputs => false;

    public override Tensor Forward(Tensor[] x)
    {
        var input = CopyKernel.AsContiguous(x[0]);
        return input.View(new Shape(outputShape), Shape.ContiguousStrides(outputShape), input.Offset);
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y) => [gy.Reshape(inputShape)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0]?.Reshape(outputShape);

    public override RefArray Reference(RefArray[] x) => new((double[])x[0].Data.Clone(), (int[])outputShape.Clone());
}
