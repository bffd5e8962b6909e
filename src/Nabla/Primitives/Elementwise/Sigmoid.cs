using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = σ(x) = 1/(1 + e⁻ˣ) ; dy = dx·y(1 - y) ; gx = gy·y(1 - y). The kernels use e = e^(-|x|) ≤ 1:
/// 1/(1 + e) for x ≥ 0 and e/(1 + e) below, so no exponential overflows: σ(±1000) are exactly 1 and 0
/// and the gradient there is 0, σ(-100) keeps its tiny value, σ'(0) = 1/4. NaN stays NaN.
/// float32 runs on <see cref="FastMath.Sigmoid"/>; float64 on TensorPrimitives' exp.
/// </summary>
internal sealed class Sigmoid : ElementwiseUnary
{
    public override string Name => "sigmoid";
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    public override Tensor Derivative(Tensor x, Tensor y) => y * (1.0 - y);

    public override double Reference(double x)
    {
        double e = Math.Exp(-Math.Abs(x));
        return (x >= 0 ? 1 : e) / (1 + e);
    }

    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) =>
        FloatKernels.Run(x, y, FastMath.Sigmoid, Float64);

    static void Float64(ReadOnlySpan<double> x, Span<double> y)
    {
        // y is a fresh output run, never x, so it can hold e = e^(-|x|) on the way.
        TensorPrimitives.Abs(x, y);
        TensorPrimitives.Negate(y, y);
        TensorPrimitives.Exp(y, y);
        for (int i = 0; i < y.Length; i++) y[i] = (x[i] >= 0 ? 1 : y[i]) / (1 + y[i]);
    }
}
