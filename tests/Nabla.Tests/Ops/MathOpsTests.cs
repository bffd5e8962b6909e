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
        if (expected.Equals(actual)) return;   // also NaN == NaN and equal infinities
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

    static Tensor F64(params double[] v) => Tensor.FromArray(v, [v.Length], requiresGrad: true);
    static Tensor F32(params float[] v) => Tensor.FromArray(v, [v.Length], requiresGrad: true);
    static bool[] Bools(Tensor t) { Assert.Equal(DType.Bool, t.DType); return t.ToArray<bool>(); }

    [Fact]
    public void SoftmaxOfLargeLogitsIsExactAndFinite()
    {
        foreach (var x in new[] { F64(1000, 1000), F32(1000, 1000) })
        {
            var y = x.Softmax(0);
            Close([0.5, 0.5], y);
            y.Backward(Tensor.FromArray(new double[] { 1, 0 }, [2]).To(x.DType));
            Close([0.25, -0.25], x.Grad!);   // s0(1 - s0), -s0 s1
        }
        Close([1, 0], F64(1000, -1000).Softmax(0));
        var big = Tensor.FromArray(new double[] { 1000, 1000, -1000, -1000 }, [2, 2]);
        Close([1, 1, 0, 0], big.Softmax(0), what: "column softmax");
        Close([0.5, 0.5, 0.5, 0.5], big.Softmax(1), what: "row softmax");
        Close([0, -2000], F64(1000, -1000).LogSoftmax(0));
        var z = F32(1000, 1000);
        Close([-Math.Log(2), -Math.Log(2)], z.LogSoftmax(0), 1e-7);
        z.LogSoftmax(0).Backward(Tensor.FromArray(new float[] { 1, 0 }, [2]));
        Close([0.5, -0.5], z.Grad!);   // 1 - s0, -s1
    }

    [Fact]
    public void LogSumExpIsStableAndItsGradientIsSoftmax()
    {
        Close([1000 + Math.Log(2)], F64(1000, 1000).LogSumExp(0, keepDim: true));
        var inf = double.PositiveInfinity;
        Close([-inf, Math.Log(2)], Tensor.FromArray(new[] { -inf, -inf, 0, 0 }, [2, 2]).LogSumExp(1));
        Close([inf], Tensor.FromArray(new[] { inf, 1.0 }, [1, 2]).LogSumExp(1));
        var x = F64(1, 2, 3);
        x.LogSumExp(0).Backward();
        double s = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Close([Math.Exp(1) / s, Math.Exp(2) / s, Math.Exp(3) / s], x.Grad!);
    }

    [Fact]
    public void SigmoidSaturatesWithoutOverflow()
    {
        var x = F64(-1000, -100, 0, 100, 1000);
        var y = x.Sigmoid();
        Close([0, Math.Exp(-100) / (1 + Math.Exp(-100)), 0.5, 1, 1], y);
        y.Backward(Tensor.OnesLike(y));
        var g = x.Grad!.ToArray<double>();
        Close([0, Math.Exp(-100), 0.25, Math.Exp(-100), 0], x.Grad!, 1e-12);
        Assert.All(g, v => Assert.True(double.IsFinite(v)));
        var f = F32(-100, 100);
        var yf = f.Sigmoid();
        yf.Backward(Tensor.OnesLike(yf));
        Assert.Equal(1f, yf.ToArray<float>()[1]);
        Assert.InRange(yf.ToArray<float>()[0], 3.6e-44f, 3.8e-44f);
        Assert.All(f.Grad!.ToArray<float>(), v => Assert.InRange(v, 0f, 1e-40f));
    }

    [Fact]
    public void KinksFollowPyTorch()
    {
        var x = F64(-1, 0, 2);
        x.Relu().Sum().Backward();
        Close([0, 0, 1], x.Grad!);                    // relu'(0) = 0
        var a = F64(-3, 0, 2);
        a.Abs().Sum().Backward();
        Close([-1, 0, 1], a.Grad!);                   // sign(0) = 0
        Assert.True(double.IsNaN(Tensor.Scalar(double.NaN).Relu().Item<double>()));
        Assert.Equal(new long[] { 0, 0, 3 }, Tensor.FromArray(new long[] { -2, 0, 3 }, [3]).Relu().ToArray<long>());
        var c = F64(-1, -0.5, 0, 0.8, 2);
        var clamped = c.Clamp(-0.5, 0.8);
        Close([-0.5, -0.5, 0, 0.8, 0.8], clamped);
        clamped.Sum().Backward();
        Close([0, 1, 1, 1, 0], c.Grad!);              // bounds included
        Close([-1, -1, -1], F64(-2, 0, 2).Clamp(1, -1));   // min > max gives max
        Assert.True(double.IsNaN(Tensor.Scalar(double.NaN).Clamp(0, 1).Item<double>()));
        var ints = Tensor.FromArray(new long[] { -1, 1, 5 }, [3]);
        Assert.Equal(new long[] { 0, 1, 2 }, ints.Clamp(0, 2).ToArray<long>());
        Assert.Equal(DType.Float32, ints.Clamp(0.5).DType);
        Assert.Throws<ArgumentException>(() => ints.Clamp());
    }

    [Fact]
    public void MaximumAndMinimumSplitTiesAndPropagateNaN()
    {
        var a = F64(1, 2, 3);
        var b = F64(1, 5, 0);
        var y = a.Maximum(b);
        Close([1, 5, 3], y);
        y.Sum().Backward();
        Close([0.5, 0, 1], a.Grad!);
        Close([0.5, 1, 0], b.Grad!);
        var (c, d) = (F64(1, 2, 3), F64(1, 5, 0));
        var m = c.Minimum(d);
        Close([1, 2, 0], m);
        m.Sum().Backward();
        Close([0.5, 1, 0], c.Grad!);
        Close([0.5, 0, 1], d.Grad!);
        // 20 elements: the NaNs go through the vector lanes and the scalar tail.
        var data = new double[20];
        data[3] = data[19] = double.NaN;
        foreach (var dt in new[] { DType.Float64, DType.Float32 })
        {
            var nan = Tensor.FromArray(data, [20]).To(dt);
            var ones = Tensor.Ones([20], dt);
            foreach (var r in new[] { nan.Maximum(ones), ones.Maximum(nan), nan.Minimum(ones), ones.Minimum(nan) })
                for (int i = 0; i < 20; i++)
                    Assert.Equal(i is 3 or 19, double.IsNaN(r.ToDoubleArray()[i]));
        }
        Assert.Equal(DType.Float64, Tensor.Ones(2).Maximum(Tensor.Zeros([2], DType.Float64)).DType);
    }

    [Fact]
    public void PowGradientsAtZeroFollowPyTorch()
    {
        var a = F64(0, 0, 2, 0);
        var b = F64(2, 0, 3, -1);
        var y = a.Pow(b);
        Close([0, 1, 8, double.PositiveInfinity], y);
        y.Sum().Backward();
        Close([0, 0, 12, double.NegativeInfinity], a.Grad!);      // b a^(b-1), 0 where b == 0
        Close([0, 0, 8 * Math.Log(2), double.NegativeInfinity], b.Grad!);   // y log a, 0 where a == 0 and b >= 0
        var x = F64(0, -2, 3);
        x.Pow(2).Sum().Backward();
        Close([0, -4, 6], x.Grad!);
        var x3 = F64(0, -2, 3);
        var y3 = x3.Pow(3);
        Close([0, -8, 27], y3);
        y3.Sum().Backward();
        Close([0, 12, 27], x3.Grad!);
        var x0 = F64(0, -2, 3);
        x0.Pow(0).Sum().Backward();
        Close([0, 0, 0], x0.Grad!);
        var t = Tensor.Scalar(2.0f, requiresGrad: true);
        (t.Pow(2) + 3 * t).Backward();
        Assert.Equal(7f, t.Grad!.Item<float>());
        var d1 = Autograd.Grad(t.Pow(2) + 3 * t, t, createGraph: true)!;
        Assert.Equal(2f, Autograd.Grad(d1, t)!.Item<float>());
    }

    [Fact]
    public void IntegerPowersStayInteger()
    {
        var i = Tensor.FromArray(new long[] { 2, 3, -2 }, [3]);
        Assert.Equal(new long[] { 8, 27, -8 }, i.Pow(3).ToArray<long>());
        Assert.Equal(new long[] { 8, 9, 1 }, i.Pow(Tensor.FromArray(new long[] { 3, 2, 0 }, [3])).ToArray<long>());
        Assert.Equal(DType.Float32, i.Pow(0.5).DType);
        Assert.Throws<ArgumentException>(() => i.Pow(-1));
        Assert.Throws<ArgumentException>(() => i.Pow(Tensor.FromArray(new long[] { 1, -1, 2 }, [3])));
        Close([1, 2, 3], Tensor.FromArray(new long[] { 1, 4, 9 }, [3]).Sqrt());
        Assert.Equal(DType.Float32, Tensor.FromArray(new long[] { 1, 4, 9 }, [3]).Sqrt().DType);
        var s = Tensor.Scalar(4.0, requiresGrad: true);
        Assert.Equal(0.5, s.Rsqrt().Item<double>());
        s.Rsqrt().Backward();
        Assert.Equal(-1.0 / 16, s.Grad!.Item<double>());
    }

    [Fact]
    public void ComparisonsGiveBoolAndPromote()
    {
        var a = F64(1, 2, double.NaN);
        var b = F64(2, 2, double.NaN);
        Assert.Equal([false, false, false], Bools(a.Gt(b)));
        Assert.Equal([false, true, false], Bools(a.Ge(b)));
        Assert.Equal([true, false, false], Bools(a.Lt(b)));
        Assert.Equal([true, true, false], Bools(a.Le(b)));
        Assert.Equal([false, true, false], Bools(a.Eq(b)));
        var gt = a.Gt(0L);
        Assert.False(gt.RequiresGrad);
        Assert.Null(gt.GradFn);
        var ints = Tensor.FromArray(new long[] { 1, 2, 3 }, [3]);
        Assert.Equal([false, true, false], Bools(ints.Gt(Tensor.FromArray(new float[] { 1.5f, 1.5f, 3.5f }, [3]))));
        Assert.Equal([false, false, true], Bools(ints.Gt(2.5)));
        Assert.Equal([false, true, false], Bools(ints.Eq(2L)));
        var bc = Tensor.FromArray(new long[] { 1, 2, 3 }, [3, 1]).Ge(Tensor.FromArray(new[] { 1.5, 2.5 }, [2]));
        Assert.Equal([3, 2], bc.Shape.ToArray());
        Assert.Equal([false, false, true, false, true, true], Bools(bc));
    }

    [Fact]
    public void ArgMaxTakesTheFirstMaximumAndNaN()
    {
        var x = Tensor.FromArray(new double[] { 1, 3, 3, 2, 2, 1 }, [2, 3]);
        var am = x.ArgMax(1);
        Assert.Equal(DType.Int64, am.DType);
        Assert.Equal(new long[] { 1, 0 }, am.ToArray<long>());
        Assert.Equal([2, 1], x.ArgMax(1, keepDim: true).Shape.ToArray());
        Assert.Equal(new long[] { 1, 0, 0 }, x.ArgMax(0).ToArray<long>());
        Assert.Equal(1L, Tensor.FromArray(new[] { 1, double.NaN, 5, double.NaN }, [4]).ArgMax(0).Item<long>());
        Assert.Equal(1L, Tensor.FromArray(new float[] { 1, 5, 5, 2 }, [2, 2]).ArgMax().Item<long>());
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 0]).ArgMax(1));
    }

    [Fact]
    public void MaxAndMinShareTheGradientAmongTies()
    {
        var x = Tensor.FromArray(new double[] { 1, 3, 3, 2, 0, 1 }, [2, 3], requiresGrad: true);
        var y = x.Max(1);
        Close([3, 2], y);
        y.Sum().Backward();
        Close([0, 0.5, 0.5, 1, 0, 0], x.Grad!);
        var v = F64(2, 5, 5, 1);
        v.Max().Backward();
        Close([0, 0.5, 0.5, 0], v.Grad!);
        var w = Tensor.FromArray(new double[] { 1, 3, 1, 2 }, [2, 2], requiresGrad: true);
        var m = w.Min(0);
        Close([1, 2], m);
        m.Sum().Backward();
        Close([0.5, 0, 0.5, 1], w.Grad!);
        Assert.True(double.IsNaN(F64(1, double.NaN, 3).Max().Item<double>()));
        Assert.Equal(new long[] { 3 }, Tensor.FromArray(new long[] { 3, -1, 2 }, [1, 3]).Max(1).ToArray<long>());
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([0]).Max());
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 0]).Min(1));
    }

    [Fact]
    public void WhereRoutesGradientsToThePickedInput()
    {
        var c = Tensor.FromArray(new[] { true, false, true }, [3]);
        var a = F64(1, 2, 3);
        var b = Tensor.Scalar(10.0, requiresGrad: true);
        var y = Tensor.Where(c, a, b);
        Close([1, 10, 3], y);
        (y * F64(1, 2, 3).Detach()).Sum().Backward();
        Close([1, 0, 3], a.Grad!);
        Assert.Equal(2.0, b.Grad!.Item<double>());   // broadcast scalar: its picked gradients summed
        Close([1, double.PositiveInfinity, 3], Tensor.Where(c, a, Tensor.Scalar(double.PositiveInfinity)));
        Assert.Equal(DType.Float32, Tensor.Where(c, Tensor.FromArray(new long[] { 1, 2, 3 }, [3]), Tensor.Zeros(1)).DType);
        Assert.Throws<ArgumentException>(() => Tensor.Where(Tensor.Ones(3), a, a));
    }

    [Fact]
    public void LargeInputsTakeTheParallelPathWithTheSameResults()
    {
        // 300 x 200 = 60000 elements: above CpuParallel.Threshold, so the kernels split the work.
        var a = Samples.Uniform(91, [300, 200]);
        var b = Samples.Uniform(92, [200, 300]).T;
        var ra = RefArray.From(a);
        var rb = RefArray.From(b);
        Close(Db.Broadcast(ra, rb, (p, q) => p > q ? 1 : 0).Data, a.Gt(b), 0, "gt");
        Close(Db.Broadcast(ra, rb, Math.Max).Data, a.Maximum(b), 0, "maximum");
        Close(Db.Broadcast(ra, rb, (p, q) => p > 0 ? p : q).Data, Tensor.Where(a.Gt(0L), a, b), 0, "where");
        Close(Db.ReduceAlong(rb, 0, false, r => r.Max()).Data, b.Max(0), 0, "max");
        Close(Db.ReduceAlong(rb, 1, false, r => Array.IndexOf(r, r.Max())).Data, b.ArgMax(1), 0, "argmax");
        Close(Db.Broadcast(ra, rb, (p, q) => Math.Pow(Math.Abs(p), q)).Data, a.Abs().Pow(b), 1e-12, "pow");
    }
}
