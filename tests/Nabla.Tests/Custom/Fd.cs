namespace Nabla.Tests.Custom;

/// <summary>Central finite differences in float64, the oracle for the custom-gradient tests.</summary>
internal static class Fd
{
    /// <summary>d f / d x at <paramref name="x"/> for a scalar-valued <paramref name="f"/> (step h, error O(h²)).</summary>
    public static double[] Gradient(Func<Tensor, Tensor> f, double[] x, int[] shape, double h = 1e-6)
    {
        var g = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            double fp, fm;
            using (Autograd.NoGrad())
            {
                fp = f(Tensor.FromArray(plus, shape)).Item<double>();
                fm = f(Tensor.FromArray(minus, shape)).Item<double>();
            }
            g[i] = (fp - fm) / (2 * h);
        }
        return g;
    }

    /// <summary>The derivative of a scalar function of one scalar.</summary>
    public static double Derivative(Func<double, double> f, double x, double h = 1e-6) => (f(x + h) - f(x - h)) / (2 * h);

    public static double[] D(Tensor t) => t.ToDoubleArray();
}
