using System.Numerics.Tensors;
using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Elementwise;

/// <summary>y = sin(x) ; dy = dx·cos(x) ; gx = gy·cos(x). sin(±Inf) = NaN.</summary>
internal sealed class Sin : ElementwiseUnary
{
    public override string Name => "sin";

    public override Tensor Derivative(Tensor x, Tensor y) => x.Cos();
    public override double Reference(double x) => Math.Sin(x);

    // TensorPrimitives vectorizes sin per float/double width (the same code as Vector512.Sin).
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) =>
        FloatKernels.Run(x, y, TensorPrimitives.Sin, TensorPrimitives.Sin);
}
