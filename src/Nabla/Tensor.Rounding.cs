using Nabla.Engine;
using Nabla.Primitives.Elementwise;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// ⌊x⌋ elementwise, the largest whole number ≤ x (torch.floor). Integer tensors are returned as a copy in their
    /// dtype; ±Inf, NaN and ±0 stay as they are. The gradient is zero everywhere (as PyTorch).
    /// </summary>
    public Tensor Floor() => Unary(new Floor());

    /// <summary>⌈x⌉ elementwise, the smallest whole number ≥ x (torch.ceil). Integers keep their dtype; the gradient is zero.</summary>
    public Tensor Ceil() => Unary(new Ceil());

    /// <summary>x rounded toward zero elementwise (torch.trunc, also torch.fix). Integers keep their dtype; the gradient is zero.</summary>
    public Tensor Trunc() => Unary(new Trunc());

    /// <summary>
    /// x rounded to the nearest whole number elementwise, halves to the even one (torch.round: 0.5 -> 0, 1.5 -> 2,
    /// -2.5 -> -2, as .NET's <see cref="Math.Round(double)"/>; unlike C's round, which takes halves away from zero).
    /// With <paramref name="decimals"/> &gt; 0, to that many decimal places, computed as PyTorch does in the tensor's own
    /// dtype: round(x · 10^d) / 10^d (so 2.675 in float64 gives 2.68, as in PyTorch: 2.675 · 100 rounds to 267.5, a tie
    /// that goes to the even 268; Python's round gives 2.67); with
    /// <paramref name="decimals"/> &lt; 0, to a multiple of 10^-d: round(x / 10^-d) · 10^-d. Integers keep their dtype
    /// (only with <paramref name="decimals"/> = 0, as PyTorch). The gradient is zero.
    /// </summary>
    public Tensor Round(int decimals = 0)
    {
        if (decimals == 0) return Unary(new Round());
        if (!DType.IsFloating())
            throw Errors.Arg("Round", $"decimals: {decimals} needs a floating-point tensor, not {Errors.Describe(this)} (as PyTorch). " +
                "Round a float copy (x.To(DType.Float64).Round(decimals)) or leave decimals at 0.");
        if (Math.Abs(decimals) > 300)
            throw Errors.Arg("Round", $"decimals: {decimals} is outside [-300, 300], where 10^decimals is a finite double.");
        double scale = Math.Pow(10, Math.Abs(decimals));
        return decimals > 0 ? (this * scale).Round() / scale : (this / scale).Round() * scale;
    }

    /// <summary>
    /// The fractional part x - trunc(x) elementwise, with x's sign (torch.frac: -1.25 -> -0.25); ±Inf gives NaN.
    /// Floating-point tensors only (as PyTorch). The gradient is 1.
    /// </summary>
    public Tensor Frac()
    {
        if (!DType.IsFloating())
            throw Errors.Arg("Frac", $"needs a floating-point tensor, not {Errors.Describe(this)} (as PyTorch); an integer has no fractional part. " +
                "Convert it first (x.To(DType.Float32)).");
        return this - Trunc();
    }

    /// <summary>
    /// -1, 0 or 1 elementwise by the sign of x (torch.sign), in x's dtype (integers keep theirs); ±0 gives 0 and NaN
    /// gives NaN. NB: PyTorch gives 0 for NaN; Nabla follows NumPy and TensorFlow 2 there, so a NaN is never hidden.
    /// The gradient is zero (as PyTorch).
    /// </summary>
    public Tensor Sign() => Unary(new Sign());
}
