using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

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

    protected override void Kernel<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y)
    {
        if (typeof(T) == typeof(float))
            Floats(MemoryMarshal.Cast<T, float>(a), sa, MemoryMarshal.Cast<T, float>(b), sb, MemoryMarshal.Cast<T, float>(y));
        else if (typeof(T) == typeof(double))
            Floats(MemoryMarshal.Cast<T, double>(a), sa, MemoryMarshal.Cast<T, double>(b), sb, MemoryMarshal.Cast<T, double>(y));
        else
            for (int i = 0, ia = 0, ib = 0; i < y.Length; i++, ia += sa, ib += sb) y[i] = IntegerPow(a[ia], b[ib]);
    }

    static void Floats<F>(ReadOnlySpan<F> a, int sa, ReadOnlySpan<F> b, int sb, Span<F> y) where F : IPowerFunctions<F>
    {
        if (sa == 1 && sb == 1) TensorPrimitives.Pow(a, b, y);
        else if (sa == 1) TensorPrimitives.Pow(a, b[0], y);
        else if (sb == 1) TensorPrimitives.Pow(a[0], b, y);
        else y.Fill(F.Pow(a[0], b[0]));
    }

    /// <summary>a^b by repeated squaring for b ≥ 0 (wrapping on overflow, as integer maths does).</summary>
    internal static T IntegerPow<T>(T a, T b) where T : INumber<T>
    {
        // NB: unreachable through the front end, which rejects negative integer exponents; the
        // value is 1/a^|b| truncated toward zero so the kernel stays total.
        if (b < T.Zero) return a == T.One ? T.One : a == -T.One ? (T.IsEvenInteger(b) ? T.One : -T.One) : T.Zero;
        T result = T.One;
        T two = T.One + T.One;
        while (b > T.Zero)
        {
            if (!T.IsEvenInteger(b)) result *= a;
            a *= a;
            b /= two;
        }
        return result;
    }
}
