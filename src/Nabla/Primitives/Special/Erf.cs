namespace Nabla.Primitives.Special;

/// <summary>
/// The error function y = erf(x) = 2/√π ∫₀ˣ e^(-t²) dt ; dy = dx·(2/√π)e^(-x²) ; gx = gy·(2/√π)e^(-x²).
/// The derivative is written with Exp, so every higher order follows. <see cref="Evaluate"/> works in
/// double precision to within about 1e-15 (a few ulp; the float64 kernel and the reference use it): the
/// Taylor series for |x| &lt; 0.5, a positive-term series below 2, and the continued fraction of erfc
/// beyond; erf(±∞) = ±1, NaN stays NaN. On the CPU float32 runs on <c>FastMath.Erf</c> (in float, a few ulp).
/// </summary>
internal sealed class Erf : ElementwiseUnary
{
    const double TwoOverSqrtPi = 1.1283791670955126;   // 2/√π
    const double InvSqrtPi = 0.56418958354775628;      // 1/√π

    public override string Name => "erf";

    public override Tensor Derivative(Tensor x, Tensor y) => TwoOverSqrtPi * (-(x * x)).Exp();

    public override double Reference(double x) => Evaluate(x);

    /// <summary>erf(x) in double precision (error within about 1e-15).</summary>
    internal static double Evaluate(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = Math.Abs(x);
        double r;
        if (a < 0.5)
        {
            // Taylor series 2/√π Σ (-1)ⁿ a^(2n+1)/(n!(2n+1)): alternating, but with a² < 1/4 the terms
            // fall fast and cancel little.
            double p = a, sum = a, a2 = a * a;
            for (int n = 1; n < 60; n++)
            {
                p *= -a2 / n;
                double t = p / (2 * n + 1);
                sum += t;
                if (Math.Abs(t) < 1e-17 * sum) break;
            }
            r = TwoOverSqrtPi * sum;
        }
        else if (a < 2)
        {
            // erf(a) = 2/√π e^(-a²) Σ_n 2ⁿ a^(2n+1) / (1·3·…·(2n+1)): every term is positive, so there is
            // no cancellation, and the terms shrink once 2a² < 2n+1.
            double term = a, sum = a, a2 = 2 * a * a;
            for (int n = 1; n < 200 && term > sum * 1e-17; n++)
            {
                term *= a2 / (2 * n + 1);
                sum += term;
            }
            r = TwoOverSqrtPi * Math.Exp(-a * a) * sum;
        }
        else if (a < 6.5)
            r = 1 - Erfc(a);   // erfc(a) ≤ 0.005 here: its relative error barely touches erf
        else
            r = 1;   // erfc(6.5) < 1e-19: erf rounds to 1 in double
        return x < 0 ? -r : r;
    }

    /// <summary>
    /// erfc(a) for a ≥ 2 by the continued fraction e^(-a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …))))
    /// evaluated with the modified Lentz method (converges in a few dozen steps here).
    /// </summary>
    static double Erfc(double a)
    {
        const double tiny = 1e-300;
        double f = a, c = a, d = 0;
        for (int k = 1; k < 500; k++)
        {
            double ak = k * 0.5;
            d = a + ak * d;
            d = d == 0 ? tiny : d;
            c = a + ak / c;
            c = c == 0 ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return InvSqrtPi * Math.Exp(-a * a) / f;
    }
}
