namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = exp(x) ; dy = dx*y ; gx = gy*y. On the CPU float32 runs on <c>FastMath.Exp</c> (computed in float,
/// within 1 ulp); float64 on TensorPrimitives.
/// </summary>
internal sealed class Exp : ElementwiseUnary
{
    public override string Name => "exp";
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    public override Tensor Derivative(Tensor x, Tensor y) => y;
    public override double Reference(double x) => Math.Exp(x);
}
