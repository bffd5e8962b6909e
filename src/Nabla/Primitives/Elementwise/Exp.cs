using System.Numerics.Tensors;
using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = exp(x) ; dy = dx*y ; gx = gy*y. float32 runs on <see cref="FastMath.Exp"/> (computed in float,
/// within 1 ulp); float64 on TensorPrimitives.
/// </summary>
internal sealed class Exp : ElementwiseUnary
{
    public override string Name => "exp";
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    public override Tensor Derivative(Tensor x, Tensor y) => y;
    public override double Reference(double x) => Math.Exp(x);

    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) =>
        FloatKernels.Run(x, y, FastMath.Exp, TensorPrimitives.Exp);
}
