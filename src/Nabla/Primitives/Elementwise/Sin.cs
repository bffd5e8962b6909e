namespace Nabla.Primitives.Elementwise;

/// <summary>y = sin(x) ; dy = dx·cos(x) ; gx = gy·cos(x). sin(±Inf) = NaN.</summary>
internal sealed class Sin : ElementwiseUnary
{
    public override string Name => "sin";

    public override Tensor Derivative(Tensor x, Tensor y) => x.Cos();
    public override double Reference(double x) => Math.Sin(x);
}
