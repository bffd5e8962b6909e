using Nabla.Backends.Reference;
using Nabla.Tests.AutogradFunctional;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Forward;

/// <summary>
/// Nested accumulators (forward-over-forward), forward mode composed with reverse mode both ways,
/// and the Siskind-Pearlmutter perturbation-confusion test in several forms.
/// </summary>
public class ForwardNestingTests
{
    const double Exact = 1e-12;

    [Fact]
    public void ForwardOverForwardGivesSecondAndThirdDerivatives()
    {
        // f(x) = exp(sin x)·x: f' = e^s (x cos x + 1), f'' = e^s (cos x (x cos x + 1) + cos x - x sin x)
        double a = 0.7, s = Math.Sin(a), c = Math.Cos(a), e = Math.Exp(s);
        double f1 = e * (a * c + 1), f2 = e * (c * (a * c + 1) + c - a * s);
        var x = Tensor.Scalar(a);
        using var outer = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        using var inner = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        var y = x.Sin().Exp() * x;
        var dy = inner.Jvp(y)!;
        Assert.Equal(f1, dy.Item<double>(), 12);
        Assert.Equal(f1, outer.Jvp(y)!.Item<double>(), 12);
        Assert.Equal(f2, outer.Jvp(dy)!.Item<double>(), 12);

        // Three levels: d³/dx³ sin(2x) = -8 cos(2x), and x^5 -> 60x².
        var z = Tensor.Scalar(0.4);
        using var l1 = new ForwardAccumulator(z, Tensor.Scalar(1.0));
        using var l2 = new ForwardAccumulator(z, Tensor.Scalar(1.0));
        using var l3 = new ForwardAccumulator(z, Tensor.Scalar(1.0));
        var w = (2.0 * z).Sin();
        var p = z * z * z * z * z;
        Assert.Equal(-8 * Math.Cos(0.8), l1.Jvp(l2.Jvp(l3.Jvp(w)!)!)!.Item<double>(), 12);
        Assert.Equal(60 * 0.16, l1.Jvp(l2.Jvp(l3.Jvp(p)!)!)!.Item<double>(), 12);
        // Each pair of levels, read inner to outer, is a second derivative: -4 sin(2x).
        Assert.Equal(-4 * Math.Sin(0.8), l1.Jvp(l3.Jvp(w)!)!.Item<double>(), 12);
        Assert.Equal(-4 * Math.Sin(0.8), l2.Jvp(l3.Jvp(w)!)!.Item<double>(), 12);
        Assert.Equal(-4 * Math.Sin(0.8), l1.Jvp(l2.Jvp(w)!)!.Item<double>(), 12);
        // An outer level's tangent is computed with only the levels outside it active: it carries no
        // inner tangent (inner levels see outer ones, not the other way round, as in TF and JAX).
        Assert.Null(l3.Jvp(l1.Jvp(w)!));
    }

    [Fact]
    public void MixedPartialsWithDifferentTangentsForTwoInputs()
    {
        // f(a, b) = a²b³ + sin(ab): ∂²f/∂a∂b = 6ab² + cos(ab) - ab sin(ab)
        double av = 0.8, bv = -1.3;
        double expected = 6 * av * bv * bv + Math.Cos(av * bv) - av * bv * Math.Sin(av * bv);
        foreach (bool aOutside in new[] { true, false })
        {
            var a = Tensor.Scalar(av);
            var b = Tensor.Scalar(bv);
            using var outer = new ForwardAccumulator(aOutside ? a : b, Tensor.Scalar(1.0));
            using var inner = new ForwardAccumulator(aOutside ? b : a, Tensor.Scalar(1.0));
            var f = a * a * b * b * b + (a * b).Sin();
            Assert.Equal(expected, outer.Jvp(inner.Jvp(f)!)!.Item<double>(), 12);
            // Each level alone is the partial along its own input only.
            double dfa = 2 * av * bv * bv * bv + bv * Math.Cos(av * bv), dfb = 3 * av * av * bv * bv + av * Math.Cos(av * bv);
            Assert.Equal(aOutside ? dfa : dfb, outer.Jvp(f)!.Item<double>(), 12);
            Assert.Equal(aOutside ? dfb : dfa, inner.Jvp(f)!.Item<double>(), 12);
        }
    }

    [Fact]
    public void NestedAccumulatorsOnOneVectorGiveUHw()
    {
        // Same primal, two directions: outer(u) over inner(w) gives uᵀ H w, inner alone ∇f·w, outer alone ∇f·u.
        var x = FiniteDiff.Uniform(5, [4]);
        var u = FiniteDiff.Uniform(6, [4]);
        var w = FiniteDiff.Uniform(7, [4]);
        static Tensor F(Tensor t) => (t.Sin() * t).Sum() + t.LogSumExp(0) * t[0];
        var h = Autograd.Hessian(F, x);
        var grad = Autograd.Vjp(F, x).Result;
        using var outer = new ForwardAccumulator(x, u);
        using var inner = new ForwardAccumulator(x, w);
        var y = F(x);
        var hw = FiniteDiff.JacobianTimes(h, w, [4]);
        Assert.Equal(TestTensors.Dot(u, hw), outer.Jvp(inner.Jvp(y)!)!.Item<double>(), 12);
        Assert.Equal(TestTensors.Dot(grad, w), inner.Jvp(y)!.Item<double>(), 12);
        Assert.Equal(TestTensors.Dot(grad, u), outer.Jvp(y)!.Item<double>(), 12);
    }

    [Fact]
    public void InnerTangentComputedFromOuterPrimalIsDifferentiated()
    {
        // inner tangent t(x) = 2x: inner.Jvp(x³) = 3x²·2x = 6x³; its outer JVP is 18x².
        var x = Tensor.Scalar(1.1);
        using var outer = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        var y = x * 1.0;
        using var inner = new ForwardAccumulator(y, 2.0 * x);
        var d = inner.Jvp(y * y * y)!;
        Assert.Equal(6 * Math.Pow(1.1, 3), d.Item<double>(), 12);
        Assert.Equal(18 * 1.1 * 1.1, outer.Jvp(d)!.Item<double>(), 12);
    }

    [Fact]
    public void ForwardOverReverseGivesHessianTimesV()
    {
        var x = FiniteDiff.Uniform(8, [5]);
        var v = FiniteDiff.Uniform(9, [5]);
        static Tensor F(Tensor t) => t.Softmax(0).Log().Sum() * 0.3 + (t * t * t).Sum() + (t.Tanh() * t.Flip(0)).Sum();
        var hv = FiniteDiff.JacobianTimes(Autograd.Hessian(F, x), v, [5]);
        var leaf = x.Detach();
        leaf.RequiresGrad = true;
        Tensor g;
        using (var acc = new ForwardAccumulator(leaf, v))
        {
            g = Autograd.Grad(F(leaf), leaf)!;
            Approx.Equal(RefArray.From(hv), acc.Jvp(g)!, Exact, "forward-over-reverse Hv vs Hessian·v");
        }
        // and against central differences of the gradient along v
        var fd = FiniteDiff.Directional(t =>
        {
            var l = t.Detach();
            l.RequiresGrad = true;
            using (Autograd.EnableGrad()) return Autograd.Grad(F(l), l)!;
        }, x, v, 1e-5);
        Approx.Equal(RefArray.From(fd), FiniteDiff.JacobianTimes(Autograd.Hessian(F, x), v, [5]), 1e-7, "Hessian·v vs differences of the gradient");

        // with a GradientTape instead of Autograd.Grad
        var y0 = x.Detach();
        using (var acc = new ForwardAccumulator(y0, v))
        {
            using var tape = new GradientTape();
            tape.Watch(y0);
            var loss = F(y0);
            var tg = tape.Gradient(loss, y0)!;
            Approx.Equal(RefArray.From(hv), acc.Jvp(tg)!, Exact, "forward-over-tape Hv");
        }
    }

    [Fact]
    public void ReverseOverForwardGradOfJvp()
    {
        // ∇ₓ (∇f(x)·v) = H v: differentiate the JVP with reverse mode.
        var x = FiniteDiff.Uniform(10, [4]);
        var v = FiniteDiff.Uniform(11, [4]);
        static Tensor F(Tensor t) => (t.Exp() * t.Cos()).Sum() + (t * t).Sum() * t.Sum();
        var hv = FiniteDiff.JacobianTimes(Autograd.Hessian(F, x), v, [4]);
        var leaf = x.Detach();
        leaf.RequiresGrad = true;
        Tensor jv;
        using (var acc = new ForwardAccumulator(leaf, v))
            jv = acc.Jvp(F(leaf))!;
        Assert.True(jv.RequiresGrad, "the JVP is computed with recorded ops, so it can be differentiated");
        Approx.Equal(RefArray.From(hv), Autograd.Grad(jv, leaf)!, Exact, "Grad of a JVP");

        // Non-scalar: the JVP of y = sin(x)·x is (cos x·x + sin x)·v; its gradient w.r.t. x summed with weights gy.
        var gy = FiniteDiff.Uniform(12, [4]);
        var l2 = x.Detach();
        l2.RequiresGrad = true;
        Tensor jv2;
        using (var acc = new ForwardAccumulator(l2, v))
            jv2 = acc.Jvp(l2.Sin() * l2)!;
        var g = Autograd.Grad(jv2, l2, gy)!;
        var xs = TestTensors.D(x);
        var vs = TestTensors.D(v);
        var gys = TestTensors.D(gy);
        // d/dx [(x cos x + sin x) v] = (2 cos x - x sin x) v
        var expected = xs.Select((a, i) => gys[i] * (2 * Math.Cos(a) - a * Math.Sin(a)) * vs[i]).ToArray();
        Approx.Equal(expected, TestTensors.D(g), Exact, "Grad of a non-scalar JVP");
    }
}
