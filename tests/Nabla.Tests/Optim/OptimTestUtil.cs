using Nabla.Optim;

namespace Nabla.Tests.Optim;

/// <summary>Shared fixtures: a float64 parameter, fixed gradient sequences, and element-wise reference loops.</summary>
internal static class OptimTestUtil
{
    public static readonly double[] P0 = [1.0, -2.0, 0.5];

    /// <summary>Gradients for steps 1, 2, 3, ... (cycled), chosen with mixed signs and sizes.</summary>
    public static readonly double[][] Grads =
    [
        [0.5, -1.0, 2.0],
        [0.25, 0.5, -1.5],
        [-0.75, 0.1, 1.0],
        [1.5, -0.2, 0.3],
    ];

    public static double[] GradAt(int step) => Grads[step % Grads.Length];

    public static Variable Param(double[]? values = null, string name = "w") =>
        new(Tensor.FromArray(values ?? P0, [(values ?? P0).Length]), name: name);

    public static Tensor T(params double[] v) => Tensor.FromArray(v, [v.Length]);

    public static double[] Values(Tensor t) => t.ToArray<double>();

    /// <summary>Runs <paramref name="steps"/> PyTorch-style steps with the fixed gradients; returns the values after each.</summary>
    public static List<double[]> RunSteps(Optimizer opt, Variable p, int steps, int first = 0)
    {
        var after = new List<double[]>();
        for (int k = first; k < first + steps; k++)
        {
            p.Grad = T(GradAt(k));
            opt.Step();
            after.Add(Values(p));
        }
        return after;
    }

    /// <summary>Element-wise reference: applies <paramref name="update"/>(element, step t (1-based), p, g) for each element and step.</summary>
    public static List<double[]> Reference(int steps, Func<int, int, double, double, double> update)
    {
        var p = (double[])P0.Clone();
        var after = new List<double[]>();
        for (int t = 1; t <= steps; t++)
        {
            var g = GradAt(t - 1);
            for (int i = 0; i < p.Length; i++) p[i] = update(i, t, p[i], g[i]);
            after.Add((double[])p.Clone());
        }
        return after;
    }

    public static void AssertSteps(List<double[]> expected, List<double[]> actual, string what, double tol = 1e-14)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int k = 0; k < expected.Count; k++)
            TestUtil.Approx.Equal(expected[k], actual[k], tol, $"{what}, after step {k + 1}");
    }
}
