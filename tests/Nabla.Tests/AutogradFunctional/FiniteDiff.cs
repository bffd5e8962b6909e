namespace Nabla.Tests.AutogradFunctional;

/// <summary>
/// Central finite differences in float64, computed with recording off, for checking derivative
/// helpers. With step h the truncation error is O(h²·f''') and the rounding error O(1e-16·|f|/h).
/// </summary>
internal static class FiniteDiff
{
    public const double Step = 1e-6;

    /// <summary>(f(x + h v) - f(x - h v)) / 2h: the directional derivative J·v.</summary>
    public static Tensor Directional(Func<Tensor, Tensor> f, Tensor x, Tensor v, double h = Step)
    {
        Tensor plus, minus;
        using (Autograd.NoGrad())
        {
            plus = f(x.Detach() + h * v);
            minus = f(x.Detach() - h * v);
        }
        var p = plus.ToDoubleArray();
        var m = minus.ToDoubleArray();
        var d = new double[p.Length];
        for (int i = 0; i < d.Length; i++) d[i] = (p[i] - m[i]) / (2 * h);
        return Tensor.FromArray(d, plus.Shape.ToArray());
    }

    /// <summary>The Jacobian by central differences, shape f(x).Shape + x.Shape (as Autograd.Jacobian).</summary>
    public static Tensor Jacobian(Func<Tensor, Tensor> f, Tensor x, double h = Step)
    {
        int n = x.NumElements;
        double[]? jac = null;
        int m = 0;
        int[] yShape = [];
        for (int j = 0; j < n; j++)
        {
            var e = new double[n];
            e[j] = 1;
            var col = Directional(f, x, Tensor.FromArray(e, x.Shape.ToArray()), h);
            if (jac is null)
            {
                m = col.NumElements;
                yShape = col.Shape.ToArray();
                jac = new double[m * n];
            }
            var c = col.ToDoubleArray();
            for (int i = 0; i < m; i++) jac[i * n + j] = c[i];
        }
        return Tensor.FromArray(jac!, [.. yShape, .. x.Shape.ToArray()]);
    }

    /// <summary>float64 values uniform in [lo, hi) from a fixed seed.</summary>
    public static Tensor Uniform(int seed, int[] shape, double lo = -1, double hi = 1)
    {
        var rng = new Random(seed);
        int n = 1;
        foreach (var d in shape) n *= d;
        var data = new double[n];
        for (int i = 0; i < n; i++) data[i] = lo + (hi - lo) * rng.NextDouble();
        return Tensor.FromArray(data, shape);
    }

    /// <summary>J (shape y + x) times v (shape x) as a tensor of y's shape, in double loops.</summary>
    public static Tensor JacobianTimes(Tensor jac, Tensor v, int[] yShape)
    {
        var j = jac.ToDoubleArray();
        var w = v.ToDoubleArray();
        int n = w.Length, m = n == 0 ? 0 : j.Length / n;
        var r = new double[m];
        for (int i = 0; i < m; i++)
            for (int k = 0; k < n; k++) r[i] += j[i * n + k] * w[k];
        return Tensor.FromArray(r, yShape);
    }
}
