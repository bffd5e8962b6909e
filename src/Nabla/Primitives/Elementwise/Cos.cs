namespace Nabla.Primitives.Elementwise;

/// <summary>y = cos(x) ; dy = -dx·sin(x) ; gx = -gy·sin(x). cos(±Inf) = NaN.</summary>
internal sealed class Cos : ElementwiseUnary
{
    public override string Name => "cos";

    public override Tensor Derivative(Tensor x, Tensor y) => -x.Sin();
    public override double Reference(double x) => Math.Cos(x);
}
