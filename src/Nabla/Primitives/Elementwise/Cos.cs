using System.Numerics.Tensors;
using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Elementwise;

/// <summary>y = cos(x) ; dy = -dx·sin(x) ; gx = -gy·sin(x). cos(±Inf) = NaN.</summary>
internal sealed class Cos : ElementwiseUnary
{
    public override string Name => "cos";

    public override Tensor Derivative(Tensor x, Tensor y) => -x.Sin();
    public override double Reference(double x) => Math.Cos(x);

    // TensorPrimitives vectorizes cos per float/double width (the same code as Vector512.Cos).
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) =>
        FloatKernels.Run(x, y, TensorPrimitives.Cos, TensorPrimitives.Cos);
}
