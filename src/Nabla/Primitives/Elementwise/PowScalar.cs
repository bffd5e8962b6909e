namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = x^p for a constant p ; dy = dx·p·x^(p-1) ; gx = gy·p·x^(p-1), and 0 when p = 0 (as PyTorch).
/// Negative x is fine for an integer p ((-2)^3 = -8); a non-integer p gives NaN there. x^2 at 0 has
/// gradient 0. Integer tensors keep their dtype for whole p ≥ 0.
/// </summary>
internal sealed class PowScalar(double p) : ElementwiseUnary
{
    public override string Name => "pow";

    public double Exponent => p;

    public override bool SupportsIntegers => p >= 0 && double.IsFinite(p) && p == Math.Floor(p);

    public override Tensor Derivative(Tensor x, Tensor y) =>
        p == 0 ? Tensor.ZerosLike(x) : p * x.Pow(p - 1);

    public override double Reference(double x) => Math.Pow(x, p);
}
