namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = log(1 + x), accurate near 0 where log(1 + x) would lose digits (torch.log1p) ; dy = dx / (1 + x). -1 gives -∞,
/// below -1 NaN, +∞ gives +∞.
/// </summary>
internal sealed class Log1p : ElementwiseUnary
{
    public override string Name => "log1p";
    public override bool SavesInputs => true;

    public override Tensor Derivative(Tensor x, Tensor y) => (x + 1.0).Reciprocal();
    public override double Reference(double x) => Evaluate(x);

    /// <summary>log(1 + x) in double: Goldberg's correction (the rounding of 1 + x cancels in log(u)·x / (u - 1)).</summary>
    public static double Evaluate(double x)
    {
        double u = 1 + x;
        if (u == 1) return x;
        return double.IsFinite(u) && u > 0 ? Math.Log(u) * x / (u - 1) : Math.Log(u);
    }
}

/// <summary>
/// y = eˣ - 1, accurate near 0 where eˣ - 1 would cancel (torch.expm1) ; dy = dx·eˣ = dx·(y + 1), which differentiates
/// again. -∞ gives -1, +∞ gives +∞.
/// </summary>
internal sealed class Expm1 : ElementwiseUnary
{
    public override string Name => "expm1";
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    public override Tensor Derivative(Tensor x, Tensor y) => y + 1.0;
    public override double Reference(double x) => Elu.ExpM1(x);
}
