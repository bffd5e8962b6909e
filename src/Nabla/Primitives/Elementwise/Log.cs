namespace Nabla.Primitives.Elementwise;

/// <summary>y = log(x) ; dy = dx/x ; gx = gy/x. log(0) = -Inf, log(x &lt; 0) = NaN.</summary>
internal sealed class Log : ElementwiseUnary
{
    public override string Name => "log";

    public override Tensor Derivative(Tensor x, Tensor y) => x.Reciprocal();
    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy / x[0]];
    public override double Reference(double x) => Math.Log(x);
}
