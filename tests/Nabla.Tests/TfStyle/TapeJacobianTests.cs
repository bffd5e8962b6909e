namespace Nabla.Tests.TfStyle;

/// <summary>GradientTape.Jacobian and BatchJacobian: TensorFlow's shapes, values against finite differences.</summary>
public class TapeJacobianTests
{
    static double[] D(Tensor t) => t.ToDoubleArray();

    /// <summary>
    /// Central differences in float64 of <paramref name="f"/> at <paramref name="x"/>: a [m, n] row-major
    /// array, entry (i, j) = d f_i / d x_j, computed with no tape.
    /// </summary>
    static double[] FdJacobian(Func<Tensor, Tensor> f, Tensor x, double h = 1e-6)
    {
        var x0 = D(x);
        int n = x0.Length;
        int m = f(x).NumElements;
        var j = new double[m * n];
        for (int c = 0; c < n; c++)
        {
            var plus = (double[])x0.Clone();
            var minus = (double[])x0.Clone();
            plus[c] += h;
            minus[c] -= h;
            var fp = D(f(Tensor.FromArray(plus, x.Shape.ToArray())));
            var fm = D(f(Tensor.FromArray(minus, x.Shape.ToArray())));
            for (int r = 0; r < m; r++) j[r * n + c] = (fp[r] - fm[r]) / (2 * h);
        }
        return j;
    }

    static void Near(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R}");
    }

    [Fact]
    public void LinearMapGivesTheMatrix()
    {
        var a = Tensor.FromArray([1.0, 2.0, -3.0, 0.5, 4.0, -1.0], [3, 2]);
        var x = new Variable(Tensor.FromArray([0.3, -0.7], [2]));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = a.MatMul(x);
        var j = tape.Jacobian(y, x)!;
        Assert.Equal([3, 2], j.Shape.ToArray());
        Assert.Equal(D(a), D(j));
    }

    [Fact]
    public void ElementwiseGivesADiagonalWithTheTfShape()
    {
        var x = new Variable(Tensor.FromArray([0.1, 0.2, 0.3, 0.4], [2, 2]));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = x.Sin();
        var j = tape.Jacobian(y, x)!;
        Assert.Equal([2, 2, 2, 2], j.Shape.ToArray());
        var v = D(j);
        var xs = D(x);
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 4; k++)
                Assert.Equal(i == k ? Math.Cos(xs[i]) : 0.0, v[i * 4 + k], 15);
    }

    [Fact]
    public void NonlinearVectorFunctionMatchesFiniteDifferences()
    {
        var w = Tensor.FromArray([0.5, -1.0, 0.25, 2.0, 1.5, -0.5], [2, 3]);
        Func<Tensor, Tensor> f = x => (w.MatMul(x)).Tanh() * x.Sum() + x[..2].Exp();
        var x = new Variable(Tensor.FromArray([0.2, -0.4, 0.9], [3]));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = f(x);
        var j = tape.Jacobian(y, x)!;
        Assert.Equal([2, 3], j.Shape.ToArray());
        Near(FdJacobian(f, x), D(j), 1e-8, "J");
    }

    [Fact]
    public void ScalarTargetGivesTheGradientShape()
    {
        var x = new Variable(Tensor.FromArray([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]));
        var tape = new GradientTape(persistent: true);
        Tensor y;
        using (tape) y = (x * x).Sum();
        var j = tape.Jacobian(y, x)!;
        Assert.Equal([2, 3], j.Shape.ToArray());
        Assert.Equal(D(tape.Gradient(y, x)!), D(j));
    }

    [Fact]
    public void ScalarSourceVectorTarget()
    {
        var s = new Variable(2.0);
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = Tensor.FromArray([1.0, 2.0, 3.0], [3]) * s * s;
        var j = tape.Jacobian(y, s)!;
        Assert.Equal([3], j.Shape.ToArray());
        Assert.Equal([4.0, 8.0, 12.0], D(j));
    }

    [Fact]
    public void UnconnectedGivesNullOrZeros()
    {
        var x = new Variable(Tensor.FromArray([1.0, 2.0], [2]));
        var z = new Variable(Tensor.FromArray([1.0, 2.0, 3.0], [3]));
        var tape = new GradientTape(persistent: true);
        Tensor y;
        using (tape) { y = x * 2; _ = z * 1; }
        Assert.Null(tape.Jacobian(y, z));
        var zero = tape.Jacobian(y, z, UnconnectedGradients.Zero)!;
        Assert.Equal([2, 3], zero.Shape.ToArray());
        Assert.All(D(zero), v => Assert.Equal(0.0, v));
        var unwatched = Tensor.FromArray([1.0], [1]);
        Assert.Null(tape.Jacobian(y, unwatched));
    }

    [Fact]
    public void PartlyConnectedRowsAreZero()
    {
        // y0 depends on x, y1 does not: the Jacobian is returned with a zero row.
        var x = new Variable(Tensor.FromArray([1.0, 2.0], [2]));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = Tensor.Stack([(x * x).Sum(), Tensor.Scalar(5.0)]);
        var j = tape.Jacobian(y, x)!;
        Assert.Equal([2, 2], j.Shape.ToArray());
        Assert.Equal([2.0, 4.0, 0.0, 0.0], D(j));
    }

    [Fact]
    public void NonPersistentJacobianIsOneCall()
    {
        var x = new Variable(Tensor.FromArray([1.0, 2.0], [2]));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = x * x;
        Assert.NotNull(tape.Jacobian(y, x));
        var e = Assert.Throws<InvalidOperationException>(() => tape.Jacobian(y, x));
        Assert.Contains("persistent: true", e.Message);
        Assert.Throws<InvalidOperationException>(() => tape.Gradient(y, x));
        Assert.Throws<InvalidOperationException>(() => tape.BatchJacobian(y.Reshape(2, 1), x));
    }

    [Fact]
    public void HessianFromNestedTapes()
    {
        // f = x0^2 x1 + sin(x1): H = [[2 x1, 2 x0], [2 x0, -sin x1]].
        var x = new Variable(Tensor.FromArray([1.5, 0.5], [2]));
        var outer = new GradientTape();
        Tensor g;
        using (outer)
        {
            using var inner = new GradientTape();
            var x0 = x.Reshape(2, 1)[0].Reshape();
            var x1 = x.Reshape(2, 1)[1].Reshape();
            g = inner.Gradient(x0 * x0 * x1 + x1.Sin(), x)!;
        }
        var h = outer.Jacobian(g, x)!;
        Assert.Equal([2, 2], h.Shape.ToArray());
        Near([1.0, 3.0, 3.0, -Math.Sin(0.5)], D(h), 1e-14, "H");
    }

    /// <summary>A small per-example MLP: tanh(x W1 + b1) W2 + b2, for x [B, 3].</summary>
    static Func<Tensor, Tensor> Mlp()
    {
        var w1 = Tensor.FromArray([0.2, -0.5, 0.7, 1.1, -0.3, 0.4, 0.9, -1.2, 0.05, 0.6, -0.8, 0.3], [3, 4]);
        var b1 = Tensor.FromArray([0.1, -0.2, 0.0, 0.3], [4]);
        var w2 = Tensor.FromArray([1.0, -0.4, 0.5, 0.8, -1.5, 0.2, 0.3, 0.9], [4, 2]);
        var b2 = Tensor.FromArray([0.05, -0.05], [2]);
        return x => (x.MatMul(w1) + b1).Tanh().MatMul(w2) + b2;
    }

    [Fact]
    public void BatchJacobianOfAnMlpMatchesPerExampleFiniteDifferences()
    {
        var mlp = Mlp();
        var data = new[] { 0.3, -0.1, 0.8, -0.6, 0.4, 0.2, 1.0, 0.0, -0.9, 0.25, 0.5, -0.75 };
        var x = new Variable(Tensor.FromArray(data, [4, 3]));
        var tape = new GradientTape(persistent: true);
        Tensor y;
        using (tape) y = mlp(x);
        var bj = tape.BatchJacobian(y, x)!;
        Assert.Equal([4, 2, 3], bj.Shape.ToArray());
        var values = D(bj);
        for (int b = 0; b < 4; b++)
        {
            var example = Tensor.FromArray(data[(3 * b)..(3 * b + 3)], [1, 3]);
            var fd = FdJacobian(mlp, example);                 // [2, 3]
            Near(fd, values[(6 * b)..(6 * b + 6)], 1e-8, $"example {b}");
        }
        // The full Jacobian [4, 2, 4, 3] has these blocks on its diagonal and zeros elsewhere.
        var full = D(tape.Jacobian(y, x)!);
        for (int b = 0; b < 4; b++)
            for (int i = 0; i < 2; i++)
                for (int c = 0; c < 4; c++)
                    for (int k = 0; k < 3; k++)
                    {
                        double e = b == c ? values[b * 6 + i * 3 + k] : 0.0;
                        Assert.Equal(e, full[((b * 2 + i) * 4 + c) * 3 + k], 14);
                    }
    }

    [Fact]
    public void BatchJacobianShapesForHigherRanks()
    {
        var x = new Variable(Tensor.FromArray([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = x.Reshape(2, 3, 1) * Tensor.FromArray([1.0, 10.0], [1, 1, 2]);   // [2, 3, 2]
        var bj = tape.BatchJacobian(y, x)!;
        Assert.Equal([2, 3, 2, 3], bj.Shape.ToArray());
        var v = D(bj);
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 3; i++)
                for (int k = 0; k < 2; k++)
                    for (int j = 0; j < 3; j++)
                        Assert.Equal(i == j ? (k == 0 ? 1.0 : 10.0) : 0.0, v[((b * 3 + i) * 2 + k) * 3 + j]);
    }

    [Fact]
    public void BatchJacobianUnconnectedAndMismatch()
    {
        var x = new Variable(Tensor.FromArray([1.0, 2.0], [2, 1]));
        var z = new Variable(Tensor.FromArray([1.0, 2.0, 3.0, 4.0], [2, 2]));
        var tape = new GradientTape(persistent: true);
        Tensor y;
        using (tape) { y = x * 3; _ = z * 1; }
        Assert.Null(tape.BatchJacobian(y, z));
        var zero = tape.BatchJacobian(y, z, UnconnectedGradients.Zero)!;
        Assert.Equal([2, 1, 2], zero.Shape.ToArray());
        Assert.All(D(zero), v => Assert.Equal(0.0, v));
        var bad = new Variable(Tensor.Zeros([3, 1], DType.Float64));
        var e = Assert.Throws<ArgumentException>(() => tape.BatchJacobian(y, bad));
        Assert.Contains("batch", e.Message);
        Assert.Equal([3.0, 3.0], D(tape.BatchJacobian(y, x)!));
    }

    [Fact]
    public void JacobianOfASourceWithRespectToItselfIsTheIdentity()
    {
        var x = new Variable(Tensor.FromArray([1.0, 2.0, 3.0, 4.0], [2, 2]));
        var tape = new GradientTape();
        using (tape) _ = x * 1;
        var j = tape.Jacobian(x, x)!;
        Assert.Equal([2, 2, 2, 2], j.Shape.ToArray());
        Assert.Equal(D(Tensor.Eye(4, DType.Float64)), D(j));
    }

    [Fact]
    public void Float32JacobianKeepsTheDType()
    {
        var x = new Variable(Tensor.FromArray(new[] { 1f, 2f }, [2]));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = x * x * 3f;
        var j = tape.Jacobian(y, x)!;
        Assert.Equal(DType.Float32, j.DType);
        Assert.Equal(new[] { 6f, 0f, 0f, 12f }, j.ToArray<float>());
    }

    [Fact]
    public void OuterTapeDifferentiatesAnInnerJacobian()
    {
        // y = x^3 elementwise: J = diag(3x^2); d/dx of sum(J) = 6x.
        var x = new Variable(Tensor.FromArray([1.0, -2.0], [2]));
        var outer = new GradientTape();
        Tensor j;
        using (outer)
        {
            var inner = new GradientTape();
            Tensor y;
            using (inner) y = x * x * x;
            j = inner.Jacobian(y, x)!;
        }
        Assert.Equal([3.0, 0.0, 0.0, 12.0], D(j));
        Assert.Equal([6.0, -12.0], D(outer.Gradient(j, x)!));
    }

    [Fact]
    public void NonPersistentJacobianInsideItsScope()
    {
        var x = new Variable(Tensor.FromArray([0.5, 1.5], [2, 1]));
        using var tape = new GradientTape();
        var y = (x * x).Exp();
        var bj = tape.BatchJacobian(y, x)!;                  // [2, 1, 1]: 2x e^{x^2}
        Assert.Equal([2, 1, 1], bj.Shape.ToArray());
        Near([Math.Exp(0.25), 3 * Math.Exp(2.25)], D(bj), 1e-15, "batch jacobian");
        Assert.Null(bj.GradFn);                              // the tape stopped recording; nothing traced it
    }

    [Fact]
    public void BatchJacobianAcceptsRankOneTargets()
    {
        // TF asks for rank >= 2; a rank-1 target (one value per example) gives per-example gradients.
        var x = new Variable(Tensor.FromArray([1.0, 2.0, 3.0, 4.0], [2, 2]));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = (x * x).Sum(1);                   // [2]
        var bj = tape.BatchJacobian(y, x)!;
        Assert.Equal([2, 2], bj.Shape.ToArray());
        Assert.Equal([2.0, 4.0, 6.0, 8.0], D(bj));
    }
}
