namespace Nabla.Primitives.Special;

/// <summary>
/// Exact GELU as one primitive (so float32 is one pass of <c>FastMath.Gelu</c> rather than five
/// elementwise ops): y = x·Φ(x), Φ(x) = (1 + erf(x/√2))/2 ; dy = dx·(Φ(x) + x·φ(x)) with
/// φ(x) = e^(-x²/2)/√(2π). The derivative is written with Erf and Exp, so every higher order follows.
/// On the CPU float32 computes Φ from erfc(|x|/√2), which keeps the negative tail's relative accuracy;
/// float64 evaluates the composite formula (<see cref="Evaluate"/>, with <see cref="Erf.Evaluate"/>).
/// GELU(+∞) = +∞, GELU(-∞) = NaN (x·Φ(x) in IEEE arithmetic, as the composite form gives), NaN stays NaN.
/// </summary>
internal sealed class Gelu : ElementwiseUnary
{
    const double InvSqrt2 = 0.70710678118654752;
    const double InvSqrt2Pi = 0.3989422804014327;   // 1/√(2π)

    public override string Name => "gelu";

    public override Tensor Derivative(Tensor x, Tensor y) =>
        0.5 * (1.0 + (x * InvSqrt2).Unary(new Erf())) + x * (InvSqrt2Pi * (-0.5 * (x * x)).Exp());

    public override double Reference(double x) => Evaluate(x);

    /// <summary>GELU(x) = x·(1 + erf(x/√2))/2 in double precision (the float64 kernel's formula too).</summary>
    internal static double Evaluate(double x) => 0.5 * x * (1 + Erf.Evaluate(x * InvSqrt2));
}
