using Nabla.Backends.Reference;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.AutogradFunctional;

/// <summary>Autograd.Jacobian and Autograd.Hessian: shapes, hand-derived values, finite differences, createGraph.</summary>
public class JacobianHessianTests
{
    const double Exact = 1e-12;
    const double FdTol = 1e-7;

    [Fact]
    public void JacobianOfRnToRmHasShapeMByNAndHandDerivedEntries()
    {
        // f(x) = [x0·x1·x2, sin(x0) + x2²]: J = [[x1x2, x0x2, x0x1], [cos x0, 0, 2x2]]
        var x = Tensor.FromArray([0.5, -1.5, 2.0], [3]);
        static Tensor F(Tensor t) => Tensor.Stack([t[0] * t[1] * t[2], t[0].Sin() + t[2] * t[2]]);
        var j = Autograd.Jacobian(F, x);
        Assert.Equal([2, 3], j.Shape.ToArray());
        Assert.Equal(DType.Float64, j.DType);
        Approx.Equal([-3.0, 1.0, -0.75, Math.Cos(0.5), 0.0, 4.0], TestTensors.D(j), Exact, "Jacobian");
        Assert.False(j.RequiresGrad);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void JacobianShapesForMatrixScalarAndEmptyCases()
    {
        var m = FiniteDiff.Uniform(1, [2, 3]);
        static Tensor G(Tensor t) => t.MatMul(t.T).Exp().Reshape(4);      // [2,3] -> [4]
        var jm = Autograd.Jacobian(G, m);
        Assert.Equal([4, 2, 3], jm.Shape.ToArray());
        Approx.Equal(RefArray.From(FiniteDiff.Jacobian(G, m)), jm, FdTol, "matrix-input Jacobian vs differences");

        var js = Autograd.Jacobian(t => (t * t).Sum(), m);                 // scalar output: shape of x, = 2x
        Assert.Equal([2, 3], js.Shape.ToArray());
        Approx.Equal(RefArray.From(2.0 * m), js, Exact, "gradient-shaped Jacobian");

        var s = Tensor.Scalar(0.3);
        var jo = Autograd.Jacobian(t => Tensor.Stack([t.Sin(), t * t, t]), s);  // scalar input: shape of y
        Assert.Equal([3], jo.Shape.ToArray());
        Approx.Equal([Math.Cos(0.3), 0.6, 1.0], TestTensors.D(jo), Exact, "scalar-input Jacobian");

        var mm = Autograd.Jacobian(t => t.T * 3.0, m);                      // [3,2] output from [2,3] input
        Assert.Equal([3, 2, 2, 3], mm.Shape.ToArray());
        Approx.Equal(RefArray.From(FiniteDiff.Jacobian(t => t.T * 3.0, m)), mm, FdTol, "transpose Jacobian vs differences");
    }

    [Fact]
    public void JacobianOfFunctionNotUsingXIsZero()
    {
        var x = FiniteDiff.Uniform(2, [3]);
        var c = FiniteDiff.Uniform(3, [2]);
        var j = Autograd.Jacobian(_ => c.Exp(), x);
        Assert.Equal([2, 3], j.Shape.ToArray());
        Assert.All(TestTensors.D(j), v => Assert.Equal(0.0, v));
        var partial = Autograd.Jacobian(t => Tensor.Stack([t.Sum(), c.Sum()]), x);
        Assert.Equal([1.0, 1.0, 1.0, 0.0, 0.0, 0.0], TestTensors.D(partial));
    }

    [Fact]
    public void JacobianWithCreateGraphIsDifferentiable()
    {
        // f(x) = x²·sum(x), J_ij = 2 x_i s δ_ij + x_i²: the gradient of sum(sin J) against differences.
        var x = FiniteDiff.Uniform(4, [3]);
        var leaf = x.Detach();
        leaf.RequiresGrad = true;
        static Tensor F(Tensor t) => t * t * t.Sum();
        var j = Autograd.Jacobian(F, leaf, createGraph: true);
        Assert.True(j.RequiresGrad);
        var g = Autograd.Grad(j.Sin().Sum(), leaf)!;
        var full = FiniteDiff.Jacobian(t => Autograd.Jacobian(F, t).Sin().Sum(), x, 1e-5);
        Approx.Equal(RefArray.From(full), g, FdTol, "gradient of a createGraph Jacobian vs differences");
    }

    [Fact]
    public void HessianIsSymmetricAndMatchesHandDerivedValues()
    {
        // f = x0³ x1 + sin(x1 x2) + x2²: hand-derived Hessian
        double a = 0.4, b = -0.9, c = 1.3;
        var x = Tensor.FromArray([a, b, c], [3]);
        static Tensor F(Tensor t) => t[0] * t[0] * t[0] * t[1] + (t[1] * t[2]).Sin() + t[2] * t[2];
        var h = Autograd.Hessian(F, x);
        Assert.Equal([3, 3], h.Shape.ToArray());
        double s = Math.Sin(b * c), co = Math.Cos(b * c);
        double[] expected =
        [
            6 * a * b, 3 * a * a, 0,
            3 * a * a, -c * c * s, co - b * c * s,
            0, co - b * c * s, -b * b * s + 2,
        ];
        Approx.Equal(expected, TestTensors.D(h), Exact, "Hessian");
    }

    [Fact]
    public void HessianOfMatrixInputEqualsDifferencesOfTheGradient()
    {
        var x = FiniteDiff.Uniform(5, [2, 3]);
        static Tensor F(Tensor t) => t.MatMul(t.T).LogSumExp(1).Sum() + (t.Tanh() * t.Flip(1)).Sum();
        var h = Autograd.Hessian(F, x);
        Assert.Equal([2, 3, 2, 3], h.Shape.ToArray());
        var hd = TestTensors.D(h);
        for (int i = 0; i < 6; i++)
            for (int k = 0; k < 6; k++)
                Assert.True(Math.Abs(hd[i * 6 + k] - hd[k * 6 + i]) <= 1e-13 * (1 + Math.Abs(hd[i * 6 + k])), $"H[{i},{k}] != H[{k},{i}]");
        var fd = FiniteDiff.Jacobian(t => Autograd.Vjp(F, t).Result, x, 1e-5);
        Approx.Equal(RefArray.From(fd), h, FdTol, "Hessian vs differences of the gradient");
    }

    [Fact]
    public void HessianOfLinearOrConstantFunctionIsZero()
    {
        var x = FiniteDiff.Uniform(6, [3]);
        var w = FiniteDiff.Uniform(7, [3]);
        Assert.All(TestTensors.D(Autograd.Hessian(t => (t * w).Sum(), x)), v => Assert.Equal(0.0, v));
        Assert.All(TestTensors.D(Autograd.Hessian(_ => w.Sum(), x)), v => Assert.Equal(0.0, v));
        Assert.Equal([3, 3], Autograd.Hessian(_ => w.Sum(), x).Shape.ToArray());
    }

    [Fact]
    public void HessianWithCreateGraphGivesThirdDerivatives()
    {
        // f = Σ x_i⁴ + x0 x1 x2: d/dx_k Σ_ij H_ij = 24 x_k + 2 Σ_{j != k} (the x0x1x2 term's H has x's off the diagonal)
        var x = Tensor.FromArray([0.3, -0.7, 1.1], [3], requiresGrad: true);
        static Tensor F(Tensor t) => (t * t * t * t).Sum() + t[0] * t[1] * t[2];
        var h = Autograd.Hessian(F, x, createGraph: true);
        Assert.True(h.RequiresGrad);
        var g = Autograd.Grad(h.Sum(), x)!;
        // Σ_ij H_ij = Σ 12 x_i² + 2 (x0 + x1 + x2) (each off-diagonal pair twice: H_01 = x2, etc.)
        var xs = TestTensors.D(x);
        Approx.Equal(xs.Select(a => 24 * a + 2).ToArray(), TestTensors.D(g), Exact, "gradient of the Hessian's sum");
    }

    [Fact]
    public void NonScalarFunctionForHessianThrowsNamingIt()
    {
        var x = FiniteDiff.Uniform(8, [3]);
        var e = Assert.ThrowsAny<Exception>(() => Autograd.Hessian(t => t * t, x));
        Assert.Contains("Autograd.Hessian", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void IntegerInputThrowsNamingTheFunction()
    {
        var xi = Tensor.FromArray([1L, 2L], [2]);
        Assert.Contains("Autograd.Jacobian", Assert.ThrowsAny<ArgumentException>(() => Autograd.Jacobian(t => t * 2.0, xi)).Message);
        Assert.Contains("Autograd.Hessian", Assert.ThrowsAny<ArgumentException>(() => Autograd.Hessian(t => t.Sum(), xi)).Message);
        Assert.Contains("int64", Assert.ThrowsAny<ArgumentException>(() => Autograd.Jacobian(t => t * 2.0, xi)).Message);
    }
}
