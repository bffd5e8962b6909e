namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = σ(x) = 1/(1 + e⁻ˣ) ; dy = dx·y(1 - y) ; gx = gy·y(1 - y). The kernels use e = e^(-|x|) ≤ 1:
/// 1/(1 + e) for x ≥ 0 and e/(1 + e) below, so no exponential overflows: σ(±1000) are exactly 1 and 0
/// and the gradient there is 0, σ(-100) keeps its tiny value, σ'(0) = 1/4. NaN stays NaN.
/// On the CPU float32 runs on <c>FastMath.Sigmoid</c>; float64 on TensorPrimitives' exp.
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
}
