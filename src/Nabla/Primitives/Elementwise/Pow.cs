namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = a^b elementwise ; ga = gy·b·a^(b-1), gb = gy·y·log(a) ; dy = da·b·a^(b-1) + db·y·log(a).
/// As PyTorch (pow_backward_self / pow_backward_exponent): ga = 0 where b == 0 (else 0·0^-1 = NaN at
/// a = 0), and gb = 0 where a == 0 and b ≥ 0 (else y·log(0) = 0·-Inf = NaN). Negative a with a
/// non-integer b gives NaN, and gb is NaN for negative a (log of a negative number).
/// Integer inputs stay integer (the front end rejects negative integer exponents, as PyTorch).
/// </summary>
internal sealed class Pow : ElementwiseBinary
{
    public override string Name => "pow";
    public override bool SavesOutput => true;

    public override (Tensor Da, Tensor Db) Derivatives(Tensor a, Tensor b, Tensor y)
    {
        var zero = Tensor.Scalar(0, a.DType);
        var da = Tensor.Where(b.Eq(0L), zero, b * a.Pow(b - 1L));
        var db = Tensor.Where(Tensor.LogicalAnd(a.Eq(0L), b.Ge(0L)), zero, y * a.Log());
        return (da, db);
    }

    public override double Reference(double a, double b) => Math.Pow(a, b);
}
