namespace Nabla.Tests.Graphs;

/// <summary>
/// Gradients through Graph.Cond, WhileLoop and Scan, compiled and eager, in float64: reverse mode (Backward,
/// Autograd.Grad, tapes) against hand derivatives and finite differences, second order, and forward mode
/// (ForwardAccumulator, Autograd.Jvp) through replays of one trace.
/// </summary>
public class ControlFlowGradientTests
{
    static double[] D(Tensor t) => t.ToArray<double>();

    static Tensor Vec(bool requiresGrad, params double[] v) => Tensor.FromArray(v, [v.Length], requiresGrad);

    /// <summary>sum(x^3) when sum(x) > 0, else sum(sin x).</summary>
    static Tensor CubeOrSine(Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => (x * x * x).Sum(), () => x.Sin().Sum());

    [Fact]
    public void CondGradientIsTheTakenBranchsForEitherSignFromOneTrace()
    {
        var cf = Graph.Compile(CubeOrSine);
        foreach (var v in new[] { new[] { 1.5, -0.5 }, new[] { -1.0, 0.25 }, new[] { 2.0, 1.0 } })
        {
            var x = Vec(true, v);
            var g = Autograd.Grad(cf.Call(x), x)!;
            double[] expected = v.Sum() > 0 ? v.Select(a => 3 * a * a).ToArray() : v.Select(Math.Cos).ToArray();
            Assert.Equal(expected, D(g));
            var xe = Vec(true, v);
            CubeOrSine(xe).Backward();
            Assert.Equal(expected, D(xe.Grad!));
            var xb = Vec(true, v);
            cf.Call(xb).Backward();                                          // Backward() accumulates into .Grad through the replay too
            Assert.Equal(expected, D(xb.Grad!));
        }
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void SecondOrderThroughCondMatchesHandDerivative()
    {
        var cf = Graph.Compile(CubeOrSine);
        cf.Call(Vec(true, 9, 9));
        var pos = Vec(true, 1.5, -0.5);
        var gg = Autograd.Grad(Autograd.Grad(cf.Call(pos), pos, createGraph: true)!.Sum(), pos)!;
        Assert.Equal(new[] { 9.0, -3.0 }, D(gg));                           // d2/dx2 sum(x^3) = 6x
        var neg = Vec(true, -1.0, 0.25);
        var hh = Autograd.Grad(Autograd.Grad(cf.Call(neg), neg, createGraph: true)!.Sum(), neg)!;
        var ne = Vec(true, -1.0, 0.25);
        Assert.Equal(D(Autograd.Grad(Autograd.Grad(CubeOrSine(ne), ne, createGraph: true)!.Sum(), ne)!), D(hh));   // eager, bitwise
        Assert.Equal(-Math.Sin(-1.0), hh[0].Item<double>(), 15);           // d2/dx2 sum(sin x) = -sin x (the kernel's sin, to an ulp)
        Assert.Equal(-Math.Sin(0.25), hh[1].Item<double>(), 15);
        Assert.True(GradCheck.CheckSecondOrder(a => cf.Call(a[0]), [Vec(true, 0.3, -0.9)]));
        Assert.Equal(1, cf.TraceCount);
    }

    /// <summary>x -> x * w until x > 10: x_n = x0 w^n with a trip count n that depends on x0 and w.</summary>
    static Tensor GrowPast10(Tensor x0, Tensor w) => Graph.WhileLoop(x => x.Le(10.0), x => x * w, x0, maxIterations: 50);

    [Fact]
    public void WhileLoopReverseGradientKeepsEveryIteration()
    {
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)GrowPast10);
        foreach (var (x0v, n) in new[] { (1.5, 3), (0.7, 4), (3.0, 2) })
        {
            var x0 = Tensor.Scalar(x0v, requiresGrad: true);
            var w = Tensor.Scalar(2.0, requiresGrad: true);
            var y = cf.Call(x0, w);
            Assert.Equal(x0v * Math.Pow(2, n), y.Item<double>());
            var g = Autograd.Grad([y], [x0, w], createGraph: true);
            Assert.Equal(Math.Pow(2, n), g[0]!.Item<double>());                       // dy/dx0 = w^n
            Assert.Equal(n * x0v * Math.Pow(2, n - 1), g[1]!.Item<double>());          // dy/dw = n x0 w^(n-1)
            var gww = Autograd.Grad(g[1]!, w)!;
            Assert.Equal(n * (n - 1) * x0v * Math.Pow(2, n - 2), gww.Item<double>());  // d2y/dw2
        }
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void GradientTapeThroughACompiledLoopWatchesTheCapturedVariable()
    {
        var w = new Variable(Tensor.Scalar(3.0), name: "w");
        var cf = Graph.Compile((Tensor x) => Graph.WhileLoop(v => v.Lt(20.0), v => v * w, x));
        cf.Call(Tensor.Scalar(1.0));
        using var tape = new GradientTape();
        var y = cf.Call(Tensor.Scalar(1.0));                                           // 1, 3, 9, 27: y = w^3
        Assert.Equal(27.0, y.Item<double>());
        Assert.Equal(27.0, tape.Gradient(y, w)!.Item<double>());                       // 3 w^2
        Assert.Equal(1, cf.TraceCount);
    }

    static Tensor RnnLoss(Tensor[] a)
    {
        var (h, hs) = Graph.Scan((c, x) => { var next = (c.MatMul(a[1]) + x.MatMul(a[2])).Tanh(); return (next, next); }, a[3], a[0]);
        return (hs * hs).Sum() + h.Sum();
    }

    [Fact]
    public void ScanGradientsMatchFiniteDifferencesAndEager()
    {
        var inputs = new[]
        {
            Tensor.Randn([4, 1, 3], DType.Float64, seed: 1, requiresGrad: true),
            Tensor.Randn([2, 2], DType.Float64, seed: 2, requiresGrad: true),
            Tensor.Randn([3, 2], DType.Float64, seed: 3, requiresGrad: true),
            Tensor.Randn([1, 2], DType.Float64, seed: 4, requiresGrad: true),
        };
        var cf = Graph.Compile((Tensor[] a) => [RnnLoss(a)]);
        cf.Call(inputs);
        var compiled = Autograd.Grad([cf.Call(inputs)[0]], inputs);
        var eager = Autograd.Grad([RnnLoss(inputs)], inputs);
        for (int i = 0; i < inputs.Length; i++) Assert.Equal(D(eager[i]!), D(compiled[i]!));
        Assert.True(GradCheck.Check(a => cf.Call(a)[0], inputs));
        Assert.True(GradCheck.CheckSecondOrder(a => cf.Call(a)[0], inputs));
    }

    [Fact]
    public void ForwardModeFlowsThroughReplayedCondLoopAndScan()
    {
        var cond = Graph.Compile(CubeOrSine);
        var loop = Graph.Compile((Tensor x) => GrowPast10(x, Tensor.Scalar(2.0)));
        var scan = Graph.Compile((Tensor xs) => Graph.Scan((c, x) => (c + x * x, c + x * x), Tensor.Scalar(0.0), xs).Ys);
        cond.Call(Vec(false, 1, 1));
        loop.Call(Tensor.Scalar(1.0));
        loop.Call(Tensor.Scalar(1.0, requiresGrad: true));     // Autograd.Jvp calls with x requiring grad: a signature of its own
        scan.Call(Vec(true, 1, 2, 3));

        var x = Vec(false, 1.5, -0.5);
        var v = Vec(false, 0.25, 2);
        using (var acc = new ForwardAccumulator(x, v))
            Assert.Equal(3 * 1.5 * 1.5 * 0.25 + 3 * 0.25 * 2, acc.Jvp(cond.Call(x))!.Item<double>());   // sum(3x^2 v)
        var xn = Vec(false, -1, 0.25);
        using (var acc = new ForwardAccumulator(xn, v))
            Assert.Equal(Math.Cos(-1) * 0.25 + Math.Cos(0.25) * 2, acc.Jvp(cond.Call(xn))!.Item<double>(), 15);

        var x0 = Tensor.Scalar(0.7);
        var (y, dy) = Autograd.Jvp(loop.Call, x0, Tensor.Scalar(1.0));
        Assert.Equal(11.2, y.Item<double>(), 14);
        Assert.Equal(16.0, dy.Item<double>());                                                    // w^n with n = 4
        using (var acc = new ForwardAccumulator(x0, Tensor.Scalar(0.5)))
            Assert.Equal(8.0, acc.Jvp(loop.Call(x0))!.Item<double>());

        var xs = Vec(false, 1, 2, 3);
        var (ys, dys) = Autograd.Jvp(scan.Call, xs, Vec(false, 1, 1, 1));
        Assert.Equal(new[] { 1.0, 5, 14 }, D(ys));
        Assert.Equal(new[] { 2.0, 6, 12 }, D(dys));                                               // cumsum(2 x v)
        Assert.Equal(1, cond.TraceCount);
        Assert.Equal(2, loop.TraceCount);
        Assert.Equal(1, scan.TraceCount);
        foreach (var cf in new CompiledFunction[] { cond, loop, scan })
            Assert.DoesNotContain("ran eagerly", cf.Explain());                                   // every call above was a replay
    }

    [Fact]
    public void EagerControlFlowIsDifferentiableInBothModes()
    {
        var x = Vec(true, 0.5, 2);
        var (y, dy) = Autograd.Jvp(CubeOrSine, x, Vec(false, 1, 0));
        Assert.Equal(0.125 + 8, y.Item<double>());
        Assert.Equal(0.75, dy.Item<double>());
        var x0 = Tensor.Scalar(1.5, requiresGrad: true);
        var w = Tensor.Scalar(2.0, requiresGrad: true);
        GrowPast10(x0, w).Backward();
        Assert.Equal(8.0, x0.Grad!.Item<double>());
        Assert.Equal(18.0, w.Grad!.Item<double>());
    }
}
