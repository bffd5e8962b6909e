using Nabla.Backends.Reference;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.AutogradFunctional;

/// <summary>Autograd.Vjp, Autograd.Jvp and Autograd.Hvp against Jacobians, Hessians and finite differences.</summary>
public class VjpJvpHvpTests
{
    const double Exact = 1e-12;
    const double FdTol = 1e-7;

    static Tensor Vector(Tensor t) => Tensor.Concat([t.Sin() * t.Sum(), t.MatMul(t).Unsqueeze(0), t.Exp().Flip(0) * t]);
    static Tensor Scalar(Tensor t) => (t.Sin() * t.Exp()).Sum() + t.LogSumExp(0) * t[0] * t[1];

    [Fact]
    public void VjpWithVEqualsVTransposeJ()
    {
        var x = FiniteDiff.Uniform(1, [4]);
        var (y, r) = Autograd.Vjp(Vector, x, FiniteDiff.Uniform(2, [9]));
        Assert.Equal([9], y.Shape.ToArray());
        Approx.Equal(RefArray.From(Vector(x)), y, Exact, "Vjp output");
        var jac = FiniteDiff.Jacobian(Vector, x);
        var v = TestTensors.D(FiniteDiff.Uniform(2, [9]));
        var j = TestTensors.D(jac);
        var expected = new double[4];
        for (int i = 0; i < 9; i++)
            for (int k = 0; k < 4; k++) expected[k] += v[i] * j[i * 4 + k];
        Approx.Equal(expected, TestTensors.D(r), FdTol, "vᵀJ vs differences");
        Assert.False(y.RequiresGrad);
        Assert.False(r.RequiresGrad);
    }

    [Fact]
    public void VjpWithoutVForScalarIsTheGradient()
    {
        // f = Σ x_i² x_0: ∂f/∂x_0 = 3x_0² + Σ_{i>0} x_i², ∂f/∂x_k = 2 x_k x_0
        var x = Tensor.FromArray([0.5, -2.0, 1.5], [3]);
        var (y, g) = Autograd.Vjp(t => (t * t).Sum() * t[0], x);
        Assert.Equal(0.5 * (0.25 + 4 + 2.25), y.Item<double>(), 14);
        Approx.Equal([3 * 0.25 + 4 + 2.25, 2 * -2.0 * 0.5, 2 * 1.5 * 0.5], TestTensors.D(g), Exact, "gradient");
        var (_, g2) = Autograd.Vjp(Scalar, x, Tensor.Scalar(2.0));
        Approx.Equal(RefArray.From(2.0 * Autograd.Vjp(Scalar, x).Result), g2, Exact, "scalar v scales the gradient");
        var (_, gz) = Autograd.Vjp(_ => Tensor.Scalar(3.0), x);
        Assert.Equal(new double[3], TestTensors.D(gz));
    }

    [Fact]
    public void VjpCreateGraphIsDifferentiableAgain()
    {
        var x = FiniteDiff.Uniform(3, [4]);
        var leaf = x.Detach();
        leaf.RequiresGrad = true;
        var v = FiniteDiff.Uniform(4, [9]);
        var (y, r) = Autograd.Vjp(Vector, leaf, v, createGraph: true);
        Assert.True(r.RequiresGrad);
        Assert.True(y.RequiresGrad);
        var g = Autograd.Grad((r * r).Sum(), leaf)!;
        var fd = FiniteDiff.Jacobian(t => { var q = Autograd.Vjp(Vector, t, v).Result; return (q * q).Sum(); }, x, 1e-5);
        Approx.Equal(RefArray.From(fd), g, FdTol, "gradient of a createGraph Vjp vs differences");
    }

    [Fact]
    public void JvpMatchesJacobianTimesVAndDifferences()
    {
        var x = FiniteDiff.Uniform(5, [4]);
        var v = FiniteDiff.Uniform(6, [4]);
        var (y, jv) = Autograd.Jvp(Vector, x, v);
        Approx.Equal(RefArray.From(Vector(x)), y, Exact, "Jvp output");
        Approx.Equal(RefArray.From(FiniteDiff.JacobianTimes(Autograd.Jacobian(Vector, x), v, [9])), jv, Exact, "Jvp vs J·v");
        Approx.Equal(RefArray.From(FiniteDiff.Directional(Vector, x, v)), jv, FdTol, "Jvp vs differences");
        // matrix input
        var m = FiniteDiff.Uniform(7, [2, 3]);
        var vm = FiniteDiff.Uniform(8, [2, 3]);
        var (_, jm) = Autograd.Jvp(t => t.MatMul(t.T).Tanh(), m, vm);
        Approx.Equal(RefArray.From(FiniteDiff.Directional(t => t.MatMul(t.T).Tanh(), m, vm)), jm, FdTol, "matrix Jvp vs differences");
        // a function that ignores x: zero tangent of the output's shape
        var (_, jz) = Autograd.Jvp(_ => Tensor.Ones([2], DType.Float64), x, v);
        Assert.Equal([0.0, 0.0], TestTensors.D(jz));
    }

    [Fact]
    public void JvpIsForwardModeAndLeavesNoStateBehind()
    {
        var x = FiniteDiff.Uniform(9, [3]);
        bool sawForwardMode = false;
        var (_, jv) = Autograd.Jvp(t => { sawForwardMode = Engine.ForwardMode.Active; return t.Exp(); }, x, Tensor.OnesLike(x));
        Assert.True(sawForwardMode, "Autograd.Jvp must run f under the forward-mode engine");
        Assert.False(Engine.ForwardMode.Active);
        Assert.Null(x.Tangents);
        Approx.Equal(RefArray.From(x.Exp()), jv, Exact, "Jvp of exp along ones");
    }

    [Fact]
    public void HvpMatchesHessianTimesVAndDifferences()
    {
        var x = FiniteDiff.Uniform(10, [4]);
        var v = FiniteDiff.Uniform(11, [4]);
        var (y, hv) = Autograd.Hvp(Scalar, x, v);
        Assert.Equal(Scalar(x).Item<double>(), y.Item<double>(), 14);
        Approx.Equal(RefArray.From(FiniteDiff.JacobianTimes(Autograd.Hessian(Scalar, x), v, [4])), hv, Exact, "Hvp vs H·v");
        var fd = FiniteDiff.Directional(t => Autograd.Vjp(Scalar, t).Result, x, v, 1e-5);
        Approx.Equal(RefArray.From(fd), hv, FdTol, "Hvp vs differences of the gradient");
        Assert.False(hv.RequiresGrad);
        Assert.Null(x.Tangents);
        // hand-derived: f = Σ x³ -> H = diag(6x)
        var (_, hd) = Autograd.Hvp(t => (t * t * t).Sum(), x, v);
        Approx.Equal(TestTensors.D(x).Zip(TestTensors.D(v), (a, b) => 6 * a * b).ToArray(), TestTensors.D(hd), Exact, "Hvp of Σx³");
        // linear and constant functions: zero
        Assert.Equal(new double[4], TestTensors.D(Autograd.Hvp(t => t.Sum() * 2.0, x, v).Result));
        Assert.Equal(new double[4], TestTensors.D(Autograd.Hvp(_ => Tensor.Scalar(1.0), x, v).Result));
    }

    [Fact]
    public void HelpersDoNotTouchGradOrTheCallersGraph()
    {
        var x = Tensor.FromArray([0.2, 0.4], [2], requiresGrad: true);
        Autograd.Jacobian(t => t * t, x);
        Autograd.Hessian(t => (t * t * t).Sum(), x);
        Autograd.Vjp(t => (t * t).Sum(), x);
        Autograd.Jvp(t => t * t, x, Tensor.OnesLike(x));
        Autograd.Hvp(t => (t * t * t).Sum(), x, Tensor.OnesLike(x));
        Assert.Null(x.Grad);
        Assert.Null(x.Tangents);
    }

    [Fact]
    public void BadInputsThrowNamingTheFunction()
    {
        var x = FiniteDiff.Uniform(12, [3]);
        var xi = Tensor.FromArray([1L, 2L, 3L], [3]);
        var wrong = Tensor.Ones([4], DType.Float64);
        void Check(string fn, Func<object> call, params string[] more)
        {
            var e = Assert.ThrowsAny<Exception>(call);
            Assert.True(e is ArgumentException or InvalidOperationException, $"{fn}: unexpected {e.GetType().Name}: {e.Message}");
            Assert.Contains(fn, e.Message);
            foreach (var m in more) Assert.Contains(m, e.Message);
        }
        Check("Autograd.Vjp", () => Autograd.Vjp(t => t * 2.0, xi), "int64");
        Check("Autograd.Jvp", () => Autograd.Jvp(t => t * 2.0, xi, Tensor.Ones([3], DType.Float64)), "int64");
        Check("Autograd.Hvp", () => Autograd.Hvp(t => (t * 2.0).Sum(), xi, Tensor.Ones([3], DType.Float64)), "int64");
        Check("Autograd.Vjp", () => Autograd.Vjp(t => t * 2.0, x, wrong), "[4]", "[3]");
        Check("Autograd.Jvp", () => Autograd.Jvp(t => t * 2.0, x, wrong), "[4]", "[3]");
        Check("Autograd.Hvp", () => Autograd.Hvp(t => t.Sum(), x, wrong), "[4]", "[3]");
        Check("Autograd.Vjp", () => Autograd.Vjp(t => t * 2.0, x), "[3]");          // non-scalar f without v
        Check("Autograd.Hvp", () => Autograd.Hvp(t => t * 2.0, x, x), "[3]");       // non-scalar f
        Check("Autograd.Hessian", () => Autograd.Hessian(t => t * 2.0, x), "[3]");
        Assert.Throws<ArgumentNullException>(() => Autograd.Jvp(null!, x, x));
        Assert.False(Engine.ForwardMode.Active);
        Assert.Null(x.Tangents);
    }
}
