namespace Nabla.Tests.AutogradFunctional;

/// <summary>
/// The three ways to a second derivative give the same numbers: (1) nested GradientTapes,
/// (2) Autograd.Grad with createGraph twice, (3) forward-over-reverse (a ForwardAccumulator around
/// Autograd.Grad, and Autograd.Hvp). Third order: three tapes, three Grads, and forward-over-forward-
/// over-reverse / forward-over-reverse-over-reverse / forward around Autograd.Hvp. All agree to 1e-12
/// and with hand-derived values or central differences of the hand-derived lower derivative.
/// </summary>
public class ThreeWaysTests
{
    const double Tol = 1e-12;

    public static readonly Dictionary<string, (Func<Tensor, Tensor> F, double At, Func<double, double> D2, Func<double, double> D3)> Functions = new()
    {
        ["polynomial"] = (x => 3.0 * x * x * x * x - 2.0 * x * x * x + x - 5.0, 0.7,
            a => 36 * a * a - 12 * a, a => 72 * a - 12),
        ["exp(sin x)·x"] = (x => x.Sin().Exp() * x, 0.7,
            a => Math.Exp(Math.Sin(a)) * (Math.Cos(a) * (a * Math.Cos(a) + 1) + Math.Cos(a) - a * Math.Sin(a)), null!),
        ["tanh chain"] = (x => ((2.0 * x).Tanh() * x + 0.5).Tanh(), 0.3, null!, null!),
        ["sin(2x)"] = (x => (2.0 * x).Sin(), -0.4, a => -4 * Math.Sin(2 * a), a => -8 * Math.Cos(2 * a)),
    };

    public static IEnumerable<object[]> Names => Functions.Keys.Select(k => new object[] { k });

    static double ByTapes(Func<Tensor, Tensor> f, double at, int order)
    {
        var x = Tensor.Scalar(at);
        var tapes = new List<GradientTape>();
        try
        {
            for (int k = 0; k < order; k++)
            {
                var tape = new GradientTape();
                tape.Watch(x);
                tapes.Add(tape);
            }
            var d = f(x);
            for (int k = order - 1; k >= 0; k--) d = tapes[k].Gradient(d, x)!;
            return d.Item<double>();
        }
        finally
        {
            for (int k = tapes.Count - 1; k >= 0; k--) tapes[k].Dispose();
        }
    }

    static double ByCreateGraph(Func<Tensor, Tensor> f, double at, int order)
    {
        var x = Tensor.Scalar(at, requiresGrad: true);
        var d = f(x);
        for (int k = 0; k < order; k++) d = Autograd.Grad(d, x, createGraph: k < order - 1)!;
        return d.Item<double>();
    }

    /// <summary>order - 1 nested accumulators around one reverse pass.</summary>
    static double ByForwardOverReverse(Func<Tensor, Tensor> f, double at, int order)
    {
        var x = Tensor.Scalar(at, requiresGrad: true);
        var accs = new List<ForwardAccumulator>();
        try
        {
            for (int k = 0; k < order - 1; k++) accs.Add(new ForwardAccumulator(x, Tensor.Scalar(1.0)));
            var d = Autograd.Grad(f(x), x)!;
            for (int k = accs.Count - 1; k >= 0; k--) d = accs[k].Jvp(d)!;
            return d.Item<double>();
        }
        finally
        {
            for (int k = accs.Count - 1; k >= 0; k--) accs[k].Dispose();
        }
    }

    [Theory, MemberData(nameof(Names))]
    public void SecondDerivativesAgree(string name)
    {
        var (f, at, d2, _) = Functions[name];
        double tapes = ByTapes(f, at, 2), graph = ByCreateGraph(f, at, 2), fwd = ByForwardOverReverse(f, at, 2);
        double hvp = Autograd.Hvp(f, Tensor.Scalar(at), Tensor.Scalar(1.0)).Result.Item<double>();
        double hessian = Autograd.Hessian(f, Tensor.Scalar(at)).Item<double>();
        Close(tapes, graph, $"{name}: tapes vs createGraph");
        Close(tapes, fwd, $"{name}: tapes vs forward-over-reverse");
        Close(tapes, hvp, $"{name}: tapes vs Autograd.Hvp");
        Close(tapes, hessian, $"{name}: tapes vs Autograd.Hessian");
        if (d2 is not null) Close(d2(at), tapes, $"{name}: hand-derived second derivative");
        double h = 1e-5;
        double fd = (ByCreateGraph(f, at + h, 1) - ByCreateGraph(f, at - h, 1)) / (2 * h);
        Assert.True(Math.Abs(fd - tapes) <= 1e-7 * (1 + Math.Abs(tapes)), $"{name}: {tapes} vs differences of the first derivative {fd}");
    }

    [Theory, MemberData(nameof(Names))]
    public void ThirdDerivativesAgree(string name)
    {
        var (f, at, _, d3) = Functions[name];
        double tapes = ByTapes(f, at, 3), graph = ByCreateGraph(f, at, 3), ffr = ByForwardOverReverse(f, at, 3);
        Close(tapes, graph, $"{name}: three tapes vs createGraph");
        Close(tapes, ffr, $"{name}: tapes vs forward-over-forward-over-reverse");

        // forward over reverse over reverse
        var x = Tensor.Scalar(at, requiresGrad: true);
        double frr;
        using (var acc = new ForwardAccumulator(x, Tensor.Scalar(1.0)))
        {
            var g1 = Autograd.Grad(f(x), x, createGraph: true)!;
            frr = acc.Jvp(Autograd.Grad(g1, x)!)!.Item<double>();
        }
        Close(tapes, frr, $"{name}: tapes vs forward-over-reverse-over-reverse");

        // forward around Autograd.Hvp (forward-over-forward-over-reverse through the helper)
        var xp = Tensor.Scalar(at);
        double fHvp;
        using (var acc = new ForwardAccumulator(xp, Tensor.Scalar(1.0)))
            fHvp = acc.Jvp(Autograd.Hvp(f, xp, Tensor.Scalar(1.0)).Result)!.Item<double>();
        Close(tapes, fHvp, $"{name}: tapes vs forward around Autograd.Hvp");

        // reverse over Hessian with createGraph
        var xh = Tensor.Scalar(at, requiresGrad: true);
        Close(tapes, Autograd.Grad(Autograd.Hessian(f, xh, createGraph: true), xh)!.Item<double>(), $"{name}: tapes vs Grad of Hessian");

        if (d3 is not null) Close(d3(at), tapes, $"{name}: hand-derived third derivative");
        double h = 1e-5;
        double fd = (ByCreateGraph(f, at + h, 2) - ByCreateGraph(f, at - h, 2)) / (2 * h);
        Assert.True(Math.Abs(fd - tapes) <= 1e-7 * (1 + Math.Abs(tapes)), $"{name}: {tapes} vs differences of the second derivative {fd}");
    }

    [Fact]
    public void TwoInputFunctionSecondAndThirdPartialsAgree()
    {
        // g(a, b) = a²b + sin(ab) + exp(a - b)
        double av = 0.6, bv = -0.8, s = Math.Sin(av * bv), c = Math.Cos(av * bv), e = Math.Exp(av - bv);
        static Tensor G(Tensor a, Tensor b) => a * a * b + (a * b).Sin() + (a - b).Exp();
        double gab = 2 * av + c - av * bv * s - e;
        // ∂³g/∂a²∂b = 2 - 2b sin(ab) - a b² cos(ab) - e
        double gaab = 2 - 2 * bv * s - av * bv * bv * c - e;

        // (1) tapes: d/db of d/da, then d/da of that
        var a1 = Tensor.Scalar(av);
        var b1 = Tensor.Scalar(bv);
        double tapes2, tapes3;
        using (var t3 = new GradientTape())
        using (var t2 = new GradientTape())
        using (var t1 = new GradientTape())
        {
            t3.Watch([a1, b1]); t2.Watch([a1, b1]); t1.Watch([a1, b1]);
            var ga = t1.Gradient(G(a1, b1), a1)!;
            var gabT = t2.Gradient(ga, b1)!;
            tapes2 = gabT.Item<double>();
            tapes3 = t3.Gradient(gabT, a1)!.Item<double>();
        }

        // (2) createGraph
        var a2 = Tensor.Scalar(av, requiresGrad: true);
        var b2 = Tensor.Scalar(bv, requiresGrad: true);
        var ga2 = Autograd.Grad(G(a2, b2), a2, createGraph: true)!;
        var gab2 = Autograd.Grad(ga2, b2, createGraph: true)!;
        double graph2 = gab2.Item<double>(), graph3 = Autograd.Grad(gab2, a2)!.Item<double>();

        // (3) forward over reverse: tangent on b around the gradient in a; then also on a for third order
        var a3 = Tensor.Scalar(av, requiresGrad: true);
        var b3 = Tensor.Scalar(bv);
        double fwd2, fwd3;
        using (var outer = new ForwardAccumulator(a3, Tensor.Scalar(1.0)))
        using (var inner = new ForwardAccumulator(b3, Tensor.Scalar(1.0)))
        {
            var ga3 = Autograd.Grad(G(a3, b3), a3)!;
            var d = inner.Jvp(ga3)!;
            fwd2 = d.Item<double>();
            fwd3 = outer.Jvp(d)!.Item<double>();
        }

        foreach (var (v, what) in new[] { (tapes2, "tapes"), (graph2, "createGraph"), (fwd2, "forward-over-reverse") })
            Close(gab, v, $"∂²g/∂a∂b by {what}");
        foreach (var (v, what) in new[] { (tapes3, "tapes"), (graph3, "createGraph"), (fwd3, "forward-over-forward-over-reverse") })
            Close(gaab, v, $"∂³g/∂a²∂b by {what}");
    }

    static void Close(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= Tol * (1 + Math.Abs(expected)), $"{what}: {actual:R} vs {expected:R}");
}
