using Nabla.Backends.Reference;
using Nabla.Engine;
using Nabla.Tests.OpDb;
using Db = Nabla.Tests.OpDb.OpDb;

namespace Nabla.Tests.Ops;

/// <summary>
/// The math, comparison and reduction ops: every OpDb entry of this area against its reference and
/// (in float64) against central finite differences in reverse, forward and second order; then values
/// derived by hand for the traps (large logits, kinks, ties, zeros, promotion).
/// </summary>
public class MathOpsTests
{
    public static IEnumerable<object[]> Entries =>
        Db.MathEntries().Concat(Db.ReductionEntries()).Select(e => new object[] { e.Name });

    static OpInfo Entry(string name) => Db.MathEntries().Concat(Db.ReductionEntries()).Single(e => e.Name == name);

    static void Close(double expected, double actual, double tol, string what)
    {
        if (double.IsNaN(expected) && double.IsNaN(actual)) return;
        Assert.True(Math.Abs(expected - actual) <= tol * (1 + Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");
    }

    static void Close(double[] expected, Tensor actual, double tol = 1e-12, string what = "value")
    {
        var got = actual.ToDoubleArray();
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++) Close(expected[i], got[i], tol, $"{what}[{i}]");
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void EntryMatchesReference(string name)
    {
        var e = Entry(name);
        foreach (var s in e.Samples())
            foreach (var dtype in e.DTypes)
            {
                var inputs = s.Inputs.Select(t => t.DType.IsFloating() ? t.To(dtype) : t).ToArray();
                var y = e.Op(inputs);
                var expected = e.Reference(inputs.Select(RefArray.From).ToArray());
                Assert.Equal(expected.Shape, y.Shape.ToArray());
                if (e.Differentiable) Assert.Equal(dtype, y.DType);
                Close(expected.Data, y, dtype == DType.Float64 ? 1e-10 : e.Float32Tolerance, $"{name}/{s.Name}/{dtype}");
            }
    }

    const double H = 1e-6, FdTol = 1e-6;

    static Tensor Random(int seed, Shape shape) => Samples.Uniform(seed, shape.ToArray(), -1, 1);

    static Tensor Perturbed(Tensor x, int j, double delta)
    {
        var data = x.ToArray<double>();
        data[j] += delta;
        return Tensor.FromArray(data, x.Shape.ToArray());
    }

    static double Dot(Tensor a, Tensor b) => (a * b).Sum().Item<double>();

    static Tensor[] With(Tensor[] xs, int i, Tensor xi) => xs.Select((x, k) => k == i ? xi : x).ToArray();

    [Theory]
    [MemberData(nameof(Entries))]
    public void GradientsMatchFiniteDifferences(string name)
    {
        var e = Entry(name);
        if (!e.Differentiable) return;
        foreach (var s in e.Samples())
        {
            var xs = s.Inputs;
            var diff = e.GradInputs ?? Enumerable.Range(0, xs.Length).ToArray();
            var gy = Random(7, e.Op(xs).Shape);
            foreach (int i in diff)
            {
                string where = $"{name}/{s.Name}/input {i}";
                // Reverse mode: J^T gy against d<gy, f>/dx_j.
                var leaf = xs[i].Detach();
                leaf.RequiresGrad = true;
                var g = Autograd.Grad(e.Op(With(xs, i, leaf)), leaf, gy, createGraph: true)!;
                var gd = g.ToDoubleArray();
                for (int j = 0; j < gd.Length; j++)
                {
                    double fd = (Dot(gy, e.Op(With(xs, i, Perturbed(xs[i], j, H)))) - Dot(gy, e.Op(With(xs, i, Perturbed(xs[i], j, -H))))) / (2 * H);
                    Close(fd, gd[j], FdTol, $"{where} vjp[{j}]");
                }
                // Forward mode: J v against (f(x + hv) - f(x - hv)) / 2h.
                var v = Random(11, xs[i].Shape);
                var tangents = xs.Select((x, k) => k == i ? v : Tensor.ZerosLike(x)).ToArray();
                var (_, jv) = ForwardMode.Jvp(e.Op, xs, tangents);
                var fdJv = (e.Op(With(xs, i, xs[i] + H * v)) - e.Op(With(xs, i, xs[i] - H * v))) / (2 * H);
                Close(fdJv.ToDoubleArray(), jv, FdTol, $"{where} jvp");
                if (!e.SecondOrder) continue;
                // Second order: d<g(x), u>/dx against finite differences of the first gradient.
                var u = Random(13, xs[i].Shape);
                var h = g.RequiresGrad ? Autograd.Grad(g, leaf, u, allowUnused: true) : null;
                var hd = h?.ToDoubleArray() ?? new double[gd.Length];
                for (int j = 0; j < hd.Length; j++)
                {
                    Tensor GradAt(double delta)
                    {
                        var p = Perturbed(xs[i], j, delta);
                        p.RequiresGrad = true;
                        return Autograd.Grad(e.Op(With(xs, i, p)), p, gy)!;
                    }
                    double fd = (Dot(u, GradAt(H)) - Dot(u, GradAt(-H))) / (2 * H);
                    Close(fd, hd[j], FdTol, $"{where} second order[{j}]");
                }
            }
        }
    }
}
