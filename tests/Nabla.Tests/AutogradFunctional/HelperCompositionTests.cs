using Nabla.Backends.Reference;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.AutogradFunctional;

/// <summary>
/// The functional helpers inside an enclosing ForwardAccumulator (their results carry the outer JVP,
/// as jvp-of-vjp / jvp-of-hessian in JAX) and under reverse mode (Grad of Autograd.Jvp).
/// Expected values: central differences of the helper itself along the outer tangent.
/// </summary>
public class HelperCompositionTests
{
    const double FdTol = 1e-7;

    static Tensor Scalar(Tensor t) => (t.Sin() * t.Exp()).Sum() + t.LogSumExp(0) * t[0] * t[1];
    static Tensor Vector(Tensor t) => Tensor.Concat([t.Tanh() * t.Sum(), (t * t).Sum().Unsqueeze(0)]);

    static readonly Tensor X = FiniteDiff.Uniform(20, [4]);
    static readonly Tensor U = FiniteDiff.Uniform(21, [4]);
    static readonly Tensor W = FiniteDiff.Uniform(22, [4]);

    /// <summary>acc.Jvp(helper(x)) with the accumulator on x along U, against differences of helper along U.</summary>
    static void CheckOuterJvp(Func<Tensor, Tensor> helper, string what)
    {
        var x = X.Detach();
        Tensor jvp;
        using (var acc = new ForwardAccumulator(x, U))
            jvp = acc.Jvp(helper(x))!;
        Assert.True(jvp is not null, $"{what}: the helper's result lost the enclosing accumulator's tangent.");
        Approx.Equal(RefArray.From(FiniteDiff.Directional(helper, X, U, 1e-5)), jvp!, FdTol, what);
        Assert.Null(x.Tangents);
        Assert.False(Engine.ForwardMode.Active);
    }

    [Fact]
    public void AccumulatorAroundVjpGivesHessianTimesU() =>
        CheckOuterJvp(x => Autograd.Vjp(Scalar, x).Result, "jvp of the gradient (Vjp)");

    [Fact]
    public void AccumulatorAroundVjpOutput() =>
        CheckOuterJvp(x => Autograd.Vjp(Vector, x, Tensor.Ones([5], DType.Float64)).Output, "jvp of Vjp's output");

    [Fact]
    public void AccumulatorAroundJacobian() =>
        CheckOuterJvp(x => Autograd.Jacobian(Vector, x), "jvp of the Jacobian");

    [Fact]
    public void AccumulatorAroundHessianGivesThirdDerivatives() =>
        CheckOuterJvp(x => Autograd.Hessian(Scalar, x), "jvp of the Hessian");

    [Fact]
    public void AccumulatorAroundJvp() =>
        CheckOuterJvp(x => Autograd.Jvp(Vector, x, W).Result, "jvp of a jvp");

    [Fact]
    public void AccumulatorAroundHvp() =>
        CheckOuterJvp(x => Autograd.Hvp(Scalar, x, W).Result, "jvp of an hvp");

    [Fact]
    public void AccumulatorOnTheTangentOfHvpIsH()
    {
        // Hvp is linear in v: the JVP along v's own tangent u is H u.
        var v = W.Detach();
        Tensor jvp;
        using (var acc = new ForwardAccumulator(v, U))
            jvp = acc.Jvp(Autograd.Hvp(Scalar, X, v).Result)!;
        Assert.NotNull(jvp);
        Approx.Equal(RefArray.From(Autograd.Hvp(Scalar, X, U).Result), jvp, 1e-12, "Hvp's JVP in v");
    }

    [Fact]
    public void GradOfAutogradJvpIsHessianTimesV()
    {
        var x = X.Detach();
        x.RequiresGrad = true;
        // As torch.autograd.functional.jvp: the result joins the caller's graph only with createGraph.
        Assert.False(Autograd.Jvp(Scalar, x, W).Result.RequiresGrad);
        var (_, jv) = Autograd.Jvp(Scalar, x, W, createGraph: true);
        var g = Autograd.Grad(jv, x)!;
        Approx.Equal(RefArray.From(Autograd.Hvp(Scalar, X, W).Result), g, 1e-12, "Grad of Autograd.Jvp vs Hvp");
    }

    [Fact]
    public void InPlaceOpsInsideAnAccumulatorUpdateTheTangent()
    {
        var x = Tensor.FromArray([0.5, -1.5], [2]);
        var v = Tensor.FromArray([1.0, 2.0], [2]);
        using var acc = new ForwardAccumulator(x, v);
        var y = x * 1.0;
        y.MulInPlace(x);          // y = x²: tangent 2x v
        y.AddInPlace(x.Sin());    // + sin x: + cos x v
        y.MulInPlace(3.0);
        var xs = TestTensors.D(x);
        var expected = new[] { 0, 1 }.Select(i => 3 * (2 * xs[i] + Math.Cos(xs[i])) * TestTensors.D(v)[i]).ToArray();
        Approx.Equal(expected, TestTensors.D(acc.Jvp(y)!), 1e-14, "JVP through in-place ops");
        y.Fill(2.0);              // constant now
        Assert.Null(acc.Jvp(y));
    }
}
