namespace Nabla.Primitives.Elementwise;

/// <summary>
/// ELU with constant α (torch.nn.functional.elu): y = x for x &gt; 0, α·(eˣ - 1) otherwise.
/// dy = dx·f'(x) ; gx = gy·f'(x) with f'(x) = 1 for x &gt; 0 and α·eˣ = y + α otherwise (α at x = 0, as
/// PyTorch, which takes the left branch there). f' is written with y, which depends on x, so the rule
/// differentiates again. eˣ - 1 is computed without cancellation near 0 (expm1). NaN stays NaN.
/// </summary>
internal sealed class Elu(double alpha) : ElementwiseUnary
{
    public override string Name => "elu";
    public override bool SavesOutput => true;

    /// <summary>α, the value the negative side tends to is -α.</summary>
    public double Alpha => alpha;

    public override Tensor Derivative(Tensor x, Tensor y) =>
        Tensor.Where(x.Gt(0.0), Tensor.Full([], 1, x.DType, device: x.Device), y + alpha);

    public override double Reference(double x) => Evaluate(x, alpha);

    /// <summary>ELU of one value in double precision (the CPU kernel's fallback for small |x| too).</summary>
    public static double Evaluate(double x, double alpha) => x > 0 ? x : alpha * ExpM1(x);

    /// <summary>eˣ - 1, accurate near 0 (Kahan's trick: the rounding of eˣ cancels in (u - 1)·x / log u).</summary>
    public static double ExpM1(double x)
    {
        if (Math.Abs(x) >= 0.5 || double.IsNaN(x)) return Math.Exp(x) - 1;
        double u = Math.Exp(x);
        if (u == 1) return x;
        return (u - 1) * x / Math.Log(u);
    }
}
