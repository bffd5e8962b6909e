namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = √x ; dy = dx/(2y) ; gx = gy/(2y). √(-x) = NaN, √(+Inf) = +Inf; at x = 0 the derivative is +Inf
/// (as PyTorch: gy/(2·0)).
/// </summary>
internal sealed class Sqrt : ElementwiseUnary
{
    public override string Name => "sqrt";
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    public override Tensor Derivative(Tensor x, Tensor y) => 0.5 / y;
    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy / (2.0 * y)];
    public override double Reference(double x) => Math.Sqrt(x);
}
