namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = |x| ; dy = dx·sign(x) ; gx = gy·sign(x), with sign(0) = 0 and sign(NaN) = NaN as PyTorch (so the
/// gradient at 0 is 0, and at NaN it is NaN).
/// Integers keep their dtype (|int.MinValue| wraps, as in two's complement).
/// </summary>
internal sealed class Abs : ElementwiseUnary
{
    public override string Name => "abs";
    public override bool SupportsIntegers => true;

    // sign(x) from two comparisons: piecewise constant, so its own derivative is zero (the
    // comparisons carry no gradient), which is right everywhere but at the kink. Comparisons with NaN
    // are false, so a NaN element takes x itself (NaN) instead of 0.
    public override Tensor Derivative(Tensor x, Tensor y)
    {
        var sign = x.Gt(0L).To(x.DType) - x.Lt(0L).To(x.DType);
        return x.DType.IsFloating() ? Tensor.Where(x.Eq(x), sign, x) : sign;
    }
    public override double Reference(double x) => Math.Abs(x);
}
