using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// Base of the inclusive scans along <c>dim</c> (cumsum, cumprod, logcumsumexp): the output has the input's shape,
/// element i of a line combining elements 0..i. The reference runs the scan in double precision.
/// </summary>
internal abstract class Scan(int dim) : Primitive
{
    public override bool MayFailInReplay => false;   // total on every value

    /// <summary>The scanned dim.</summary>
    public int Dim => dim;

    /// <summary>The running value after <paramref name="x"/> joins <paramref name="acc"/> (in double).</summary>
    public abstract double Combine(double acc, double x);

    public override RefArray Reference(RefArray[] x)
    {
        var a = x[0];
        var y = RefArray.Zeros(a.Shape);
        for (int i = 0; i < a.Count; i++)
        {
            var idx = a.Unravel(i);
            double acc = a.Data[i];
            if (idx[dim] > 0)
            {
                idx[dim]--;
                acc = Combine(y.Data[y.Ravel(idx)], a.Data[i]);
            }
            y.Data[i] = acc;
        }
        return y;
    }

    /// <summary>Σ_{j ≥ i} g_j along <paramref name="d"/> (the transpose of an inclusive cumsum).</summary>
    internal static Tensor ReverseCumSum(Tensor g, int d) => g.Flip(d).CumSum(d).Flip(d);
}

/// <summary>
/// y_i = Σ_{j ≤ i} x_j along dim (torch.cumsum). dy = cumsum(dx) ; gx = reverse cumsum of gy.
/// The CPU kernel accumulates float32 in double, as PyTorch's CPU kernel does.
/// </summary>
internal sealed class CumSum(int dim) : Scan(dim)
{
    public override string Name => "cumsum";
    public override bool SavesInputs => false;
    public override double Combine(double acc, double x) => acc + x;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [ReverseCumSum(gy, Dim)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0]?.CumSum(Dim);
}

/// <summary>
/// y_i = Π_{j ≤ i} x_j along dim (torch.cumprod). dy_i = Σ_{j ≤ i} dx_j·C_{j,i} ; gx_j = Σ_{i ≥ j} gy_i·C_{j,i} with
/// C_{j,i} = Π_{k ≤ i, k ≠ j} x_k. NB: never y/x where x holds zeros. A first derivative alone (grad mode off while the
/// rule runs: a backward without createGraph) takes O(n) per line: before a line's first zero gx_j = revcumsum(gy·y)_j
/// / x_j (the terms from the zero on vanish, and x_j ≠ 0 there); at the first zero, the same products with that zero
/// taken as 1: revcumsum(gy·cumprod(x with it set to 1)); after it 0. That form is exact in value but not in its own
/// derivative (its masks hide how the later terms depend on the zero), so when the rule is itself differentiated
/// (createGraph, forward mode under grad mode) C is built whole, an [n, n] matrix per line (as PyTorch does for
/// double backward): exact to every order at O(n²).
/// </summary>
internal sealed class CumProd(int dim) : Scan(dim)
{
    public override string Name => "cumprod";
    public override bool SavesOutput => true;
    public override double Combine(double acc, double x) => acc * x;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        [Engine.GradMode.Enabled ? Along(x[0], Dim, (c, upper, last) => Masked(upper, c * gy.Transpose(Dim, last).Unsqueeze(-2)).Sum(-1)) : FirstOrderBackward(gy, x[0], y, Dim)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is not { } t) return null;
        if (Engine.GradMode.Enabled) return Along(x[0], Dim, (c, upper, last) => Masked(upper, c * t.Transpose(Dim, last).Unsqueeze(-1)).Sum(-2));
        var (before, first, safe, onesAtFirst) = Zeros(x[0], Dim);
        // Terms j before the first zero: y_i·dx_j/x_j (y_i is already 0 from the zero on); the term j = the first zero:
        // the products with it taken as 1, nonzero from there until the next zero.
        var early = y * Tensor.Where(before, t / safe, Tensor.ZerosLike(t)).CumSum(Dim);
        var atZero = onesAtFirst.CumProd(Dim) * Tensor.Where(first, t, Tensor.ZerosLike(t)).CumSum(Dim);
        return early + atZero;
    }

    static Tensor FirstOrderBackward(Tensor gy, Tensor x, Tensor y, int d)
    {
        var (before, first, safe, onesAtFirst) = Zeros(x, d);
        var early = ReverseCumSum(gy * y, d) / safe;
        var atZero = ReverseCumSum(gy * onesAtFirst.CumProd(d), d);
        return Tensor.Where(before, early, Tensor.Where(first, atZero, Tensor.ZerosLike(early)));
    }

    /// <summary>
    /// <paramref name="use"/>(C, upper, last dim) with the scanned dim moved last: C[..., j, i] = Π_{k ≤ i, k ≠ j} x_k and
    /// upper[j, i] = j ≤ i; its result (the scanned dim last again) moved back.
    /// </summary>
    static Tensor Along(Tensor x, int d, Func<Tensor, Tensor, int, Tensor> use)
    {
        int last = x.Rank - 1;
        var line = x.Transpose(d, last);
        var index = Tensor.Arange(line.Shape[last], DType.Int64, x.Device);
        var diagonal = index.Unsqueeze(1).Eq(index.Unsqueeze(0));
        var c = Tensor.Where(diagonal, Tensor.Full([], 1, x.DType, device: x.Device), line.Unsqueeze(-2)).CumProd(-1);
        return use(c, index.Unsqueeze(1).Le(index.Unsqueeze(0)), last).Transpose(d, last);
    }

    static Tensor Masked(Tensor mask, Tensor t) => Tensor.Where(mask, t, Tensor.Full([], 0, t.DType, device: t.Device));

    /// <summary>
    /// Per element: whether no zero comes at or before it in its line; whether it is the line's first zero; x with 1
    /// wherever 'before' is false (a safe divisor); x with its first zero set to 1.
    /// </summary>
    static (Tensor Before, Tensor First, Tensor Safe, Tensor OnesAtFirst) Zeros(Tensor x, int d)
    {
        var isZero = x.Eq(0.0);
        var seen = isZero.To(DType.Int64).CumSum(d);   // zeros at or before each element
        var before = seen.Eq(0L);
        var first = Tensor.Where(isZero, seen.Eq(1L), isZero);   // a zero, and the first one
        var one = Tensor.OnesLike(x);
        return (before, first, Tensor.Where(before, x, one), Tensor.Where(first, one, x));
    }
}

/// <summary>
/// y_i = log Σ_{j ≤ i} exp(x_j) along dim (torch.logcumsumexp), as a running log-add-exp (max + log1p(exp(min - max))),
/// so neither large values overflow nor small ones far below the maximum vanish. dy_i = Σ_{j ≤ i} dx_j·exp(x_j - y_i) ;
/// gx_j = Σ_{i ≥ j} gy_i·exp(x_j - y_i), computed in log space with the positive and negative parts of gy apart (as
/// TensorFlow's and PyTorch's rules): exp(x + reverse logcumsumexp(log gy⁺ - y)) - the same for gy⁻; differentiable again.
/// </summary>
internal sealed class LogCumSumExp(int dim) : Scan(dim)
{
    public override string Name => "logcumsumexp";
    public override bool SavesOutput => true;

    public override double Combine(double acc, double x) => LogAddExp(acc, x);

    /// <summary>log(eᵃ + eᵇ) without overflow; -∞ with -∞ stays -∞, +∞ wins, NaN propagates.</summary>
    public static double LogAddExp(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b)) return double.NaN;
        double hi = Math.Max(a, b), lo = Math.Min(a, b);
        if (double.IsInfinity(hi)) return hi;   // +∞ wins; both -∞ gives -∞
        return hi + LogOnePlus(Math.Exp(lo - hi));
    }

    /// <summary>log(1 + u) accurate for small u (Goldberg's correction: the rounding of 1 + u cancels).</summary>
    static double LogOnePlus(double u)
    {
        double w = 1 + u;
        return w == 1 ? u : Math.Log(w) * u / (w - 1);
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        [Signed(gy, logG => (logG - y).Flip(Dim).LogCumSumExp(Dim).Flip(Dim) + x[0])];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        dx[0] is null ? null : Signed(dx[0]!, logT => (x[0] + logT).LogCumSumExp(Dim) - y);

    /// <summary>
    /// exp(f(log t⁺)) - exp(f(log t⁻)) with t⁺, t⁻ the positive and negative parts of t. NB: where a part is 0 its log
    /// is a very negative finite number, not -∞: exp of it is 0 all the same, but -∞ - (-∞) in the rules of a second
    /// derivative would make NaN, which the comparisons of the next rule drop together with the other terms.
    /// </summary>
    static Tensor Signed(Tensor t, Func<Tensor, Tensor> f) => f(LogPart(t, negative: false)).Exp() - f(LogPart(t, negative: true)).Exp();

    static Tensor LogPart(Tensor t, bool negative)
    {
        var part = negative ? t.Lt(0.0) : t.Gt(0.0);
        var ones = Tensor.OnesLike(t);
        double tiny = t.DType == DType.Float32 ? float.MinValue / 4 : double.MinValue / 4;
        return Tensor.Where(part, Tensor.Where(part, negative ? -t : t, ones).Log(), Tensor.Full([], tiny, t.DType, device: t.Device));
    }
}
