namespace Nabla.Tests.AutogradFunctional;

/// <summary>
/// torch.autograd.functional with tuples of inputs and outputs: jacobian, hessian, vjp, jvp, hvp, vhp,
/// with strict (an output independent of an input throws), createGraph (results differentiable again) and
/// v omitted where PyTorch allows it. Values derived by hand and checked against finite differences.
/// </summary>
public class SeveralInputsFidelityTests
{
    static readonly double[] A = [0.5, -1.25], B = [2.0, 0.75];

    static Tensor Ta() => Tensor.FromArray(A, [2]);
    static Tensor Tb() => Tensor.FromArray(B, [2]);

    static double[] D(Tensor t) => t.ToDoubleArray();

    static void Near(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = D(actual);
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a[i] - expected[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {a[i]:R} vs {expected[i]:R}");
    }

    // f(a, b) = (a ⊙ b, Σ exp a): J[0][0] = diag b, J[0][1] = diag a, J[1][0] = exp a, J[1][1] = 0.
    static Tensor[] F(Tensor[] x) => [x[0] * x[1], x[0].Exp().Sum()];

    [Fact]
    public void JacobianOfSeveralInputsAndOutputsIsTupleOfTuples()
    {
        var j = Autograd.Jacobian(F, [Ta(), Tb()]);
        Assert.Equal(2, j.Length);
        Assert.All(j, row => Assert.Equal(2, row.Length));
        Assert.Equal([2, 2], j[0][0].Shape.ToArray());
        Assert.Equal([2], j[1][0].Shape.ToArray());
        Near([B[0], 0, 0, B[1]], j[0][0]);
        Near([A[0], 0, 0, A[1]], j[0][1]);
        Near([Math.Exp(A[0]), Math.Exp(A[1])], j[1][0]);
        Near([0, 0], j[1][1]);
        // finite differences of each output with respect to each input, the other held fixed
        Near(D(FiniteDiff.Jacobian(a => F([a, Tb()])[0], Ta())), j[0][0], 1e-8);
        Near(D(FiniteDiff.Jacobian(b => F([Ta(), b])[0], Tb())), j[0][1], 1e-8);
    }

    [Fact]
    public void JacobianStrictThrowsWhenOutputIndependentOfInput()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Jacobian(F, [Ta(), Tb()], strict: true));
        Assert.Contains("Autograd.Jacobian", e.Message);
        Assert.Contains("output 1", e.Message);
        Assert.Contains("input 1", e.Message);
    }

    [Fact]
    public void JacobianStrictThrowsForOutputNotRequiringGrad()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            Autograd.Jacobian(x => [x[0] * 2.0, Tensor.Ones([2], DType.Float64)], [Ta()], strict: true));
        Assert.Contains("output 1", e.Message);
    }

    [Fact]
    public void JacobianCreateGraphIsDifferentiableAgain()
    {
        // J of a ↦ a³ is diag(3a²); Σ J differentiated again is 6a.
        var a = Tensor.FromArray(A, [2], requiresGrad: true);
        var j = Autograd.Jacobian(x => [x[0] * x[0] * x[0]], [a], createGraph: true);
        Assert.True(j[0][0].RequiresGrad);
        Near([6 * A[0], 6 * A[1]], Autograd.Grad(j[0][0].Sum(), a)!);
        Assert.False(Autograd.Jacobian(x => [x[0] * x[0] * x[0]], [a])[0][0].RequiresGrad);
    }

    // g(a, b) = Σ a² ⊙ b + Σ b³: H[a][a] = diag 2b, H[a][b] = H[b][a] = diag 2a, H[b][b] = diag 6b.
    static Tensor G(Tensor[] x) => (x[0] * x[0] * x[1]).Sum() + (x[1] * x[1] * x[1]).Sum();

    [Fact]
    public void HessianOfSeveralInputsHasEveryBlock()
    {
        var h = Autograd.Hessian(G, [Ta(), Tb()]);
        Near([2 * B[0], 0, 0, 2 * B[1]], h[0][0]);
        Near([2 * A[0], 0, 0, 2 * A[1]], h[0][1]);
        Near([2 * A[0], 0, 0, 2 * A[1]], h[1][0]);
        Near([6 * B[0], 0, 0, 6 * B[1]], h[1][1]);
        Assert.Equal([2, 2], h[0][1].Shape.ToArray());
    }

    [Fact]
    public void HessianStrictThrowsForFunctionLinearInAnInput()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            Autograd.Hessian(x => (x[0] * x[0]).Sum() + x[1].Sum(), [Ta(), Tb()], strict: true));
        Assert.Contains("Autograd.Hessian", e.Message);
        Assert.Contains("input 1", e.Message);
        // Not strict: the b blocks are zero.
        var h = Autograd.Hessian(x => (x[0] * x[0]).Sum() + x[1].Sum(), [Ta(), Tb()]);
        Near([0, 0, 0, 0], h[1][1]);
        Near([2, 0, 0, 2], h[0][0]);
    }

    [Fact]
    public void VjpOfSeveralInputsAndOutputsSumsOverOutputs()
    {
        // (a ⊙ b, Σ(a + b)) with v = (v0, v1): ∂/∂a = v0 ⊙ b + v1, ∂/∂b = v0 ⊙ a + v1.
        double[] v0 = [1.5, -2.0];
        double v1 = 0.25;
        var (outs, r) = Autograd.Vjp(x => [x[0] * x[1], (x[0] + x[1]).Sum()], [Ta(), Tb()],
            [Tensor.FromArray(v0, [2]), Tensor.Scalar(v1)]);
        Near([A[0] * B[0], A[1] * B[1]], outs[0]);
        Near([v0[0] * B[0] + v1, v0[1] * B[1] + v1], r[0]);
        Near([v0[0] * A[0] + v1, v0[1] * A[1] + v1], r[1]);
        Assert.False(outs[0].RequiresGrad);
        Assert.False(r[0].RequiresGrad);
    }

    [Fact]
    public void VjpWithoutVNeedsSingleOneElementOutput()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Vjp(F, [Ta(), Tb()]));
        Assert.Contains("Autograd.Vjp", e.Message);
        Assert.Contains("v can be omitted only", e.Message);
        var (_, r) = Autograd.Vjp(x => [(x[0] * x[1]).Sum()], [Ta(), Tb()]);
        Near(B, r[0]);
        Near(A, r[1]);
    }

    [Fact]
    public void VjpStrictThrowsForUnusedInputAndOtherwiseGivesZeros()
    {
        var ones = Tensor.Ones([2], DType.Float64);
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Vjp(x => [x[0] * 2.0], [Ta(), Tb()], [ones], strict: true));
        Assert.Contains("input 1", e.Message);
        var (_, r) = Autograd.Vjp(x => [x[0] * 2.0], [Ta(), Tb()], [ones]);
        Near([2, 2], r[0]);
        Near([0, 0], r[1]);
    }

    [Fact]
    public void VjpCreateGraphIsDifferentiableAgain()
    {
        var a = Tensor.FromArray(A, [2], requiresGrad: true);
        var (_, r) = Autograd.Vjp(x => [(x[0] * x[0] * x[0]).Sum()], [a], createGraph: true);
        Near([3 * A[0] * A[0], 3 * A[1] * A[1]], r[0]);
        Near([6 * A[0], 6 * A[1]], Autograd.Grad(r[0].Sum(), a)!);
    }

    [Fact]
    public void VjpStrictWithCreateGraphThrowsForLinearFunction()
    {
        // The gradient of a linear function does not depend on the inputs, so it can't be differentiated again.
        var a = Tensor.FromArray(A, [2], requiresGrad: true);
        var e = Assert.Throws<InvalidOperationException>(() =>
            Autograd.Vjp(x => [(x[0] * 3.0).Sum()], [a], createGraph: true, strict: true));
        Assert.Contains("createGraph", e.Message);
    }

    [Fact]
    public void JvpOfSeveralInputsAndOutputsSumsOverInputs()
    {
        // (a ⊙ b, Σ a²) along (va, vb): (va ⊙ b + a ⊙ vb, 2 Σ a ⊙ va).
        double[] va = [0.5, 1.0], vb = [-1.0, 2.0];
        var (outs, r) = Autograd.Jvp(x => [x[0] * x[1], (x[0] * x[0]).Sum()], [Ta(), Tb()],
            [Tensor.FromArray(va, [2]), Tensor.FromArray(vb, [2])]);
        Near([A[0] * B[0], A[1] * B[1]], outs[0]);
        Near([va[0] * B[0] + A[0] * vb[0], va[1] * B[1] + A[1] * vb[1]], r[0]);
        Near([2 * (A[0] * va[0] + A[1] * va[1])], r[1]);
        Assert.False(r[0].RequiresGrad);
    }

    [Fact]
    public void JvpWithoutVForSingleOneElementInput()
    {
        var (y, r) = Autograd.Jvp(x => [x[0] * x[0] * x[0]], [Tensor.Scalar(2.0)]);
        Assert.Equal(8.0, y[0].Item<double>());
        Assert.Equal(12.0, r[0].Item<double>());
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Jvp(x => [x[0] * 2.0], [Ta()]));
        Assert.Contains("Autograd.Jvp", e.Message);
    }

    [Fact]
    public void JvpStrictThrowsForUnusedInput()
    {
        var v = new[] { Tensor.Ones([2], DType.Float64), Tensor.Ones([2], DType.Float64) };
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Jvp(x => [x[0].Sin()], [Ta(), Tb()], v, strict: true));
        Assert.Contains("input 1", e.Message);
        var (_, r) = Autograd.Jvp(x => [x[0].Sin()], [Ta(), Tb()], v);
        Near([Math.Cos(A[0]), Math.Cos(A[1])], r[0]);
    }

    [Fact]
    public void JvpCreateGraphIsDifferentiableAgain()
    {
        // J v of a ↦ a³ along v is 3a² v; its gradient in a is 6 a v.
        var a = Tensor.FromArray(A, [2], requiresGrad: true);
        double[] v = [1.0, -0.5];
        var (_, r) = Autograd.Jvp(x => [x[0] * x[0] * x[0]], [a], [Tensor.FromArray(v, [2])], createGraph: true);
        Assert.True(r[0].RequiresGrad);
        Near([6 * A[0] * v[0], 6 * A[1] * v[1]], Autograd.Grad(r[0].Sum(), a)!);
    }

    [Fact]
    public void HvpAndVhpOfSeveralInputsMatchHandHessian()
    {
        // G's Hessian blocks applied to (va, vb): a part 2b ⊙ va + 2a ⊙ vb, b part 2a ⊙ va + 6b ⊙ vb.
        double[] va = [0.5, 1.0], vb = [-1.0, 2.0];
        var v = new[] { Tensor.FromArray(va, [2]), Tensor.FromArray(vb, [2]) };
        double[] ea = [2 * B[0] * va[0] + 2 * A[0] * vb[0], 2 * B[1] * va[1] + 2 * A[1] * vb[1]];
        double[] eb = [2 * A[0] * va[0] + 6 * B[0] * vb[0], 2 * A[1] * va[1] + 6 * B[1] * vb[1]];
        var (y, hv) = Autograd.Hvp(G, [Ta(), Tb()], v);
        Assert.Equal(G([Ta(), Tb()]).Item<double>(), y.Item<double>(), 15);
        Near(ea, hv[0]);
        Near(eb, hv[1]);
        var (_, vh) = Autograd.Vhp(G, [Ta(), Tb()], v);
        Near(ea, vh[0]);
        Near(eb, vh[1]);
    }

    [Fact]
    public void HvpAndVhpWithoutVForSingleOneElementInput()
    {
        // f = x⁴ at 1.5: f'' = 12 x² = 27, and v defaults to 1.
        Func<Tensor, Tensor> f = x => x * x * x * x;
        var x = Tensor.Scalar(1.5);
        Assert.Equal(27.0, Autograd.Hvp(f, x).Result.Item<double>(), 12);
        Assert.Equal(27.0, Autograd.Vhp(f, x).Result.Item<double>(), 12);
        Assert.Equal(27.0, Autograd.Hvp(xs => f(xs[0]), [x]).Result[0].Item<double>(), 12);
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Vhp(t => t.Sum(), Ta()));
        Assert.Contains("Autograd.Vhp", e.Message);
        Assert.Contains("v can be omitted only", e.Message);
    }

    [Fact]
    public void HvpCreateGraphGivesThirdDerivative()
    {
        // f = Σ x⁴ / 12: H v = x² ⊙ v, whose gradient Σ is 2 x ⊙ v.
        var a = Tensor.FromArray(A, [2], requiresGrad: true);
        double[] v = [1.0, 3.0];
        Func<Tensor[], Tensor> f = x => (x[0] * x[0] * x[0] * x[0]).Sum() / 12.0;
        var (_, hv) = Autograd.Hvp(f, [a], [Tensor.FromArray(v, [2])], createGraph: true);
        Near([A[0] * A[0] * v[0], A[1] * A[1] * v[1]], hv[0]);
        Near([2 * A[0] * v[0], 2 * A[1] * v[1]], Autograd.Grad(hv[0].Sum(), a)!);
        var (_, vh) = Autograd.Vhp(f, [a], [Tensor.FromArray(v, [2])], createGraph: true);
        Near([2 * A[0] * v[0], 2 * A[1] * v[1]], Autograd.Grad(vh[0].Sum(), a)!);
    }

    [Fact]
    public void HvpAndVhpStrictThrowForUnusedOrLinearInput()
    {
        var v = new[] { Tensor.Ones([2], DType.Float64), Tensor.Ones([2], DType.Float64) };
        Func<Tensor[], Tensor> linearInB = x => (x[0] * x[0]).Sum() + x[1].Sum();
        Func<Tensor[], Tensor> unusedB = x => (x[0] * x[0]).Sum();
        Assert.Contains("input 1", Assert.Throws<InvalidOperationException>(() => Autograd.Hvp(linearInB, [Ta(), Tb()], v, strict: true)).Message);
        Assert.Contains("input 1", Assert.Throws<InvalidOperationException>(() => Autograd.Vhp(linearInB, [Ta(), Tb()], v, strict: true)).Message);
        Assert.Contains("input 1", Assert.Throws<InvalidOperationException>(() => Autograd.Hvp(unusedB, [Ta(), Tb()], v, strict: true)).Message);
        Assert.Contains("input 1", Assert.Throws<InvalidOperationException>(() => Autograd.Vhp(unusedB, [Ta(), Tb()], v, strict: true)).Message);
        var (_, hv) = Autograd.Hvp(unusedB, [Ta(), Tb()], v);
        Near([2, 2], hv[0]);
        Near([0, 0], hv[1]);
    }

    [Fact]
    public void SeveralInputHelpersLeaveCallerTensorsUntouched()
    {
        var a = Tensor.FromArray(A, [2], requiresGrad: true);
        var b = Tb();
        Autograd.Jacobian(F, [a, b]);
        Autograd.Hvp(G, [a, b], [Ta(), Tb()]);
        Autograd.Jvp(F, [a, b], [Ta(), Tb()]);
        Assert.Null(a.Grad);
        Assert.Null(a.Tangents);
        Assert.False(b.RequiresGrad);
        Assert.False(Engine.ForwardMode.Active);
    }
}
