using Nabla.Optim;

namespace Nabla.Tests.Optim;

/// <summary>
/// LBFGS as torch.optim.LBFGS: the first iterations against a reference two-loop recursion written out in the test, known
/// minima of quadratics and Rosenbrock's function (with and without the strong-Wolfe line search), and its errors.
/// </summary>
public class LbfgsTests
{
    static Tensor Leaf(params double[] v)
    {
        var t = Tensor.FromArray(v, [v.Length]);
        t.RequiresGrad = true;
        return t;
    }

    // f(x) = sum(w * (x - c)^2), gradient 2 w (x - c)
    static readonly double[] C = [1.0, 1.0, -2.0], W = [1.0, 3.0, 0.5];

    static Func<Tensor> Quadratic(Optimizer opt, Tensor x) => () =>
    {
        opt.ZeroGrad();
        var loss = ((x - Tensor.FromArray(C, [3])).Square() * Tensor.FromArray(W, [3])).Sum();
        loss.Backward();
        return loss;
    };

    [Fact]
    public void FirstIterationLiteral()
    {
        var x = Leaf(3.0, -1.0, 0.0);
        var opt = new LBFGS([x], maxIter: 1);
        var loss = opt.Step(Quadratic(opt, x));
        // f(x0) = 4 + 3*4 + 0.5*4 = 18 ; g0 = 2 w (x0 - c) = [4, -12, 2], |g0|_1 = 18, t = min(1, 1/18) = 1/18
        // x1 = x0 - g0/18 = [3 - 4/18, -1 + 12/18, -2/18]
        Assert.Equal(18.0, loss.Item<double>());
        TestUtil.Approx.Equal([3 - 4 / 18.0, -1 + 12 / 18.0, -2 / 18.0], x.ToArray<double>(), 1e-15, "LBFGS iteration 1");
        Assert.Equal((1, 1), (opt.IterationCount, opt.FunctionEvaluations));
    }

    /// <summary>The documented algorithm without line search, written out independently: returns x after each iteration.</summary>
    static List<double[]> Reference(double[] x, int iterations, double lr)
    {
        double[] Grad(double[] v) => v.Select((vi, i) => 2 * W[i] * (vi - C[i])).ToArray();
        double DotP(double[] a, double[] b) => a.Zip(b, (p, q) => p * q).Sum();
        var ss = new List<double[]>();
        var ys = new List<double[]>();
        double h = 1;
        double[] g = Grad(x), d = [], gPrev = [];
        double t = 0;
        var after = new List<double[]>();
        for (int k = 1; k <= iterations; k++)
        {
            if (k == 1) d = g.Select(v => -v).ToArray();
            else
            {
                var y = g.Zip(gPrev, (a, b) => a - b).ToArray();
                var s = d.Select(v => v * t).ToArray();
                if (DotP(y, s) > 1e-10) { ys.Add(y); ss.Add(s); h = DotP(y, s) / DotP(y, y); }
                // two-loop recursion: q = -g ; backwards a_i = rho_i s_i.q, q -= a_i y_i ; r = h q ; forwards r += (a_i - rho_i y_i.r) s_i
                var q = g.Select(v => -v).ToArray();
                var a = new double[ss.Count];
                for (int i = ss.Count - 1; i >= 0; i--)
                {
                    a[i] = DotP(ss[i], q) / DotP(ys[i], ss[i]);
                    for (int j = 0; j < q.Length; j++) q[j] -= a[i] * ys[i][j];
                }
                var r = q.Select(v => v * h).ToArray();
                for (int i = 0; i < ss.Count; i++)
                {
                    double be = DotP(ys[i], r) / DotP(ys[i], ss[i]);
                    for (int j = 0; j < r.Length; j++) r[j] += (a[i] - be) * ss[i][j];
                }
                d = r;
            }
            gPrev = g;
            t = k == 1 ? Math.Min(1, 1 / g.Sum(Math.Abs)) * lr : lr;
            x = x.Zip(d, (xi, di) => xi + t * di).ToArray();
            after.Add(x);
            g = Grad(x);
        }
        return after;
    }

    [Fact]
    public void FirstIterationsMatchTheTwoLoopReference()
    {
        double[] x0 = [3.0, -1.0, 0.0];
        var want = Reference(x0, 4, lr: 0.5);
        for (int iters = 1; iters <= 4; iters++)
        {
            var x = Leaf(x0);
            // maxEval: the default maxIter*5/4 would stop 2 iterations after 1 (2 evaluations), as in PyTorch
            var opt = new LBFGS([x], learningRate: 0.5, maxIter: iters, maxEval: 100, toleranceChange: 0);
            opt.Step(Quadratic(opt, x));
            TestUtil.Approx.Equal(want[iters - 1], x.ToArray<double>(), 1e-13, $"LBFGS after {iters} iteration(s)");
            // Every iteration but the last re-evaluates the loss.
            Assert.Equal(iters, opt.FunctionEvaluations);
        }
    }

    [Theory]
    [InlineData(LineSearch.None)]
    [InlineData(LineSearch.StrongWolfe)]
    public void QuadraticReachesItsMinimum(LineSearch search)
    {
        var x = Leaf(3.0, -1.0, 0.0);
        // A tiny toleranceChange: the default 1e-9 on the loss change stops at about 3e-6 from the minimum, as in PyTorch.
        var opt = new LBFGS([x], maxIter: 50, toleranceChange: 1e-20, lineSearchFn: search);
        opt.Step(Quadratic(opt, x));
        TestUtil.Approx.Equal(C, x.ToArray<double>(), 1e-7, $"quadratic minimum ({search})");
    }

    [Theory]
    [InlineData(DType.Float64, 1e-6)]
    [InlineData(DType.Float32, 1e-3)]
    public void RosenbrockWithStrongWolfe(DType dtype, double tol)
    {
        // f(a, b) = (1 - a)^2 + 100 (b - a^2)^2, minimum 0 at (1, 1), from the classic start (-1.2, 1)
        var a = Tensor.Scalar(-1.2, dtype);
        var b = Tensor.Scalar(1.0, dtype);
        a.RequiresGrad = b.RequiresGrad = true;
        // float64: a tiny toleranceChange, else the 1e-9 loss-change stop ends about 2e-5 from the minimum (as in PyTorch)
        var opt = new LBFGS([a, b], maxIter: 200, toleranceChange: dtype == DType.Float64 ? 1e-20 : 1e-9, lineSearchFn: LineSearch.StrongWolfe);
        var first = opt.Step(() =>
        {
            opt.ZeroGrad();
            var loss = (1 - a).Square() + 100 * (b - a.Square()).Square();
            loss.Backward();
            return loss;
        });
        Assert.Equal(2.2 * 2.2 + 100 * 0.44 * 0.44, first.Item<double>(), dtype == DType.Float64 ? 12 : 4);   // f(-1.2, 1) = 4.84 + 19.36
        Assert.Equal(1.0, a.Item<double>(), tol);
        Assert.Equal(1.0, b.Item<double>(), tol);
        Assert.Equal(dtype, a.DType);
        Assert.True(opt.FunctionEvaluations <= 250, $"{opt.FunctionEvaluations} evaluations");   // max_eval = 200 * 5/4
    }

    [Fact]
    public void StepsContinueTheHistory()
    {
        // Several calls of 2 iterations each end where one call of many does (the history carries over).
        var x = Leaf(3.0, -1.0, 0.0);
        var opt = new LBFGS([x], maxIter: 2, maxEval: 10, toleranceChange: 1e-20, lineSearchFn: LineSearch.StrongWolfe);
        for (int k = 0; k < 10; k++) opt.Step(Quadratic(opt, x));
        TestUtil.Approx.Equal(C, x.ToArray<double>(), 1e-7, "after ten short steps");
        Assert.True(opt.IterationCount > 2);
    }

    [Fact]
    public void UnsupportedUsesAndBadOptionsThrowNamingTheCaller()
    {
        var x = Leaf(1.0, 2.0, 3.0);
        var opt = new LBFGS([x]);
        x.Grad = Tensor.FromArray([1.0, 1.0, 1.0], [3]);
        var e1 = Assert.Throws<NotSupportedException>(() => opt.Step());
        Assert.Contains("Step(closure)", e1.Message);
        Assert.Contains("LbfgsTests.cs:", e1.Message);
        var e2 = Assert.Throws<NotSupportedException>(() => opt.ApplyGradients([(Tensor.FromArray([1.0, 1.0, 1.0], [3]), x)]));
        Assert.Contains("LbfgsTests.cs:", e2.Message);
        Assert.Contains("LbfgsTests.cs:", Assert.Throws<NotSupportedException>(() => opt.StateDict()).Message);

        opt.AddParamGroup(new ParamGroup([Leaf(1.0)]));
        var e3 = Assert.Throws<ArgumentException>(() => opt.Step(Quadratic(opt, x)));
        Assert.Contains("doesn't support parameter groups", e3.Message);
        Assert.Contains("LbfgsTests.cs:", e3.Message);

        Action[] bad = [() => new LBFGS([x], learningRate: 0), () => new LBFGS([x], maxIter: 0), () => new LBFGS([x], historySize: 0),
            () => new LBFGS([x], toleranceGrad: -1), () => new LBFGS(null!)];
        foreach (var make in bad)
            Assert.Contains("LbfgsTests.cs:", Assert.Throws<ArgumentException>(make).Message);
    }
}
