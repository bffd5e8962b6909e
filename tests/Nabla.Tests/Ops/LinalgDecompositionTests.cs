namespace Nabla.Tests.Ops;

/// <summary>
/// Linalg.Qr / Eigh / EigvalsH / Svd / SvdVals and Init.Orthogonal against known numbers (PyTorch's documentation example, matrices whose
/// decompositions are worked out by hand in the comments), the factors' defining properties on random batches, gradients
/// at points where they are known in closed form, and errors.
/// </summary>
public class LinalgDecompositionTests
{
    static Tensor M(double[,] a) => Tensor.FromArray(a);

    static double[] D(Tensor t) => t.ToDoubleArray();

    static void Near(double[] expected, Tensor actual, double tol)
    {
        var got = D(actual);
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(expected[i] - got[i]) <= tol, $"element {i}: expected {expected[i]}, got {got[i]}");
    }

    /// <summary>max |x - y| over all elements.</summary>
    static double MaxDiff(Tensor x, Tensor y) => D((x - y).Abs()).Max();

    static Tensor Identity(int n, int batch = 0) => batch == 0 ? Tensor.Eye(n, DType.Float64) : Tensor.Eye(n, DType.Float64).Expand([batch, n, n]);

    [Fact]
    public void QrMatchesPyTorchsDocumentationExample()
    {
        // torch.linalg.qr's example (LAPACK's signs): R = [[-14, -21, 14], [0, -175, 70], [0, 0, -35]],
        // Q = [[-6/7, 69/175, 58/175], [-3/7, -158/175, -6/175], [2/7, -6/35, 33/35]].
        var a = M(new double[,] { { 12, -51, 4 }, { 6, 167, -68 }, { -4, 24, -41 } });
        var (q, r) = Linalg.Qr(a);
        Near([-14, -21, 14, 0, -175, 70, 0, 0, -35], r, 1e-12);
        Near([-6.0 / 7, 69.0 / 175, 58.0 / 175, -3.0 / 7, -158.0 / 175, -6.0 / 175, 2.0 / 7, -6.0 / 35, 33.0 / 35], q, 1e-14);
        var (q32, r32) = Linalg.Qr(a.To(DType.Float32));
        Assert.Equal(DType.Float32, q32.DType);
        Near([-14, -21, 14, 0, -175, 70, 0, 0, -35], r32, 1e-4);
        Near(D(q), q32, 1e-6);
    }

    [Fact]
    public void QrModesGiveTorchsShapesAndFactors()
    {
        var tall = Samples(1, [2, 5, 3]);
        var wide = Samples(2, [3, 5]);
        foreach (var (a, mode, qShape, rShape) in new[]
                 {
                     (tall, QrMode.Reduced, new[] { 2, 5, 3 }, new[] { 2, 3, 3 }),
                     (tall, QrMode.Complete, [2, 5, 5], [2, 5, 3]),
                     (tall, QrMode.R, [0], [2, 3, 3]),
                     (wide, QrMode.Reduced, [3, 3], [3, 5]),
                     (wide, QrMode.Complete, [3, 3], [3, 5]),
                 })
        {
            var (q, r) = Linalg.Qr(a, mode);
            Assert.Equal(qShape, q.Shape.ToArray());
            Assert.Equal(rShape, r.Shape.ToArray());
            Assert.True(MaxDiff(r, r.Triu()) == 0, $"{mode}: R is upper triangular");
            if (mode == QrMode.R)
            {
                Assert.True(MaxDiff(r, Linalg.Qr(a).R) == 0, "mode R gives the reduced R");
                continue;
            }
            Assert.True(MaxDiff(q.MatMul(r), a) < 1e-13, $"{mode}: Q·R = A");
            Assert.True(MaxDiff(q.T.MatMul(q), Tensor.Eye(q.Shape[-1], DType.Float64)) < 1e-14, $"{mode}: QᵀQ = I");
        }
    }

    [Fact]
    public void QrOfAColumnWithNothingBelowItKeepsItsSign()
    {
        // A diagonal matrix is already triangular: no reflection at all (LAPACK's tau = 0), Q = I, R = A.
        var (q, r) = Linalg.Qr(M(new double[,] { { -2, 1 }, { 0, 3 } }));
        Near([1, 0, 0, 1], q, 0);
        Near([-2, 1, 0, 3], r, 0);
    }

    [Fact]
    public void QrGradientIsPyTorchsWhereDefinedAndAnErrorElsewhere()
    {
        // f = r11² + r22² with r11² = a11² + a21² =: c and r22² = det²/c (|det| = r11·|r22|). At A = [[3, 1], [4, 2]]:
        // c = 25, det = 2, so ∂f/∂a11 = 2a11 + 2det·a22/c − det²·2a11/c² = 6 + 0.32 − 0.0384, ∂f/∂a12 = −2det·a21/c = −0.64,
        // ∂f/∂a21 = 2a21 − 2det·a12/c − det²·2a21/c² = 8 − 0.16 − 0.0512, ∂f/∂a22 = 2det·a11/c = 0.48.
        var a = M(new double[,] { { 3, 1 }, { 4, 2 } });
        a.RequiresGrad = true;
        var (_, r) = Linalg.Qr(a);
        r.Diagonal(0, -2, -1).Square().Sum().Backward();
        Near([6.2816, -0.64, 7.7888, 0.48], a.Grad!, 1e-13);

        var b = Samples(3, [4, 2]);
        b.RequiresGrad = true;
        var e = Assert.Throws<InvalidOperationException>(() => Linalg.Qr(b, QrMode.R).R.Sum().Backward());
        Assert.Contains("Qr", e.Message);
        Assert.Contains("QrMode.Reduced", e.Message);
        Assert.Contains("LinalgDecompositionTests.cs:", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => Linalg.Qr(b, QrMode.Complete).Q.Sum().Backward());
        Assert.Contains("4×2", e.Message);
        Assert.Contains("LinalgDecompositionTests.cs:", e.Message);
    }

    [Fact]
    public void EighOfHandMatrices()
    {
        // [[2, 1], [1, 2]]: eigenvalues 1 and 3 with eigenvectors (1, -1)/√2 and (1, 1)/√2 (signs are free).
        var (l, v) = Linalg.Eigh(M(new double[,] { { 2, 1 }, { 1, 2 } }));
        Near([1, 3], l, 1e-15);
        double h = Math.Sqrt(0.5);
        Near([h, h, h, h], v.Abs(), 1e-15);
        Assert.True(D(v)[0] * D(v)[2] < 0, "the eigenvector of 1 is ±(1, -1)");
        // The tridiagonal [[2, -1, 0], [-1, 2, -1], [0, -1, 2]]: 2 - √2, 2, 2 + √2.
        Near([2 - Math.Sqrt(2), 2, 2 + Math.Sqrt(2)], Linalg.EigvalsH(M(new double[,] { { 2, -1, 0 }, { -1, 2, -1 }, { 0, -1, 2 } })), 1e-15);
        // Only one triangle is read: the other holds junk here.
        Near([1, 3], Linalg.EigvalsH(M(new double[,] { { 2, 99 }, { 1, 2 } })), 1e-15);
        Near([1, 3], Linalg.EigvalsH(M(new double[,] { { 2, 1 }, { 99, 2 } }), upper: true), 1e-15);
        Near([1, 3], Linalg.EigvalsH(M(new double[,] { { 2, 1 }, { 1, 2 } }).To(DType.Float32)), 1e-6);
    }

    [Fact]
    public void EighIsAccurateOnRandomSymmetricBatches()
    {
        var x = Samples(4, [3, 7, 7]);
        var a = x + x.T;
        var (l, v) = Linalg.Eigh(a);
        Assert.Equal([3, 7], l.Shape.ToArray());
        Assert.True(MaxDiff(a.MatMul(v), v * l.Unsqueeze(-2)) < 1e-13, "A·V = V·diag(L)");
        Assert.True(MaxDiff(v.T.MatMul(v), Identity(7, 3)) < 1e-14, "VᵀV = I");
        var ld = D(l);
        for (int b = 0; b < 3; b++)
            for (int i = 1; i < 7; i++) Assert.True(ld[b * 7 + i - 1] <= ld[b * 7 + i], "ascending");
        // The sum of the eigenvalues is the trace, their squares sum to ‖A‖²: both exact identities.
        Assert.True(MaxDiff(l.Sum(-1), a.Diagonal(0, -2, -1).Sum(-1)) < 1e-13);
        Assert.True(MaxDiff(l.Square().Sum(-1), a.Square().Sum([-2, -1])) < 1e-12);
    }

    [Fact]
    public void LargerMatricesStayAccurate()
    {
        // The n×n second-difference matrix tridiag(-1, 2, -1) has eigenvalues 2 - 2cos(kπ/(n + 1)), k = 1..n; it is
        // symmetric positive definite, so they are its singular values too (descending there).
        const int n = 40;
        var t = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            t[i, i] = 2;
            if (i > 0) t[i, i - 1] = t[i - 1, i] = -1;
        }
        var exact = Enumerable.Range(1, n).Select(k => 2 - 2 * Math.Cos(k * Math.PI / (n + 1))).ToArray();
        var (l, v) = Linalg.Eigh(M(t));
        Near(exact, l, 1e-13);
        Assert.True(MaxDiff(v.T.MatMul(v), Identity(n)) < 1e-13);
        Near([.. exact.Reverse()], Linalg.SvdVals(M(t)), 1e-13);
        // A random 30×50 matrix: U·S·Vh = A and orthonormal factors to ~1e-13.
        var a = Samples(6, [30, 50]);
        var (u, s, vh) = Linalg.Svd(a, fullMatrices: false);
        Assert.True(MaxDiff((u * s.Unsqueeze(-2)).MatMul(vh), a) < 1e-12);
        Assert.True(MaxDiff(u.T.MatMul(u), Identity(30)) < 1e-13);
        Assert.True(MaxDiff(vh.MatMul(vh.T), Identity(30)) < 1e-13);
        var (q, r) = Linalg.Qr(a.T);
        Assert.True(MaxDiff(q.MatMul(r), a.T) < 1e-13);
        Assert.True(MaxDiff(q.T.MatMul(q), Identity(30)) < 1e-14);
    }

    [Fact]
    public void SvdOfHandMatrices()
    {
        // [[3, 0], [4, 5]]: AᵀA = [[25, 20], [20, 25]] has eigenvalues 45 and 5, so S = (√45, √5).
        var a = M(new double[,] { { 3, 0 }, { 4, 5 } });
        var (u, s, vh) = Linalg.Svd(a);
        Near([Math.Sqrt(45), Math.Sqrt(5)], s, 1e-14);
        Assert.True(MaxDiff((u * s.Unsqueeze(-2)).MatMul(vh), a) < 1e-14);
        Near([Math.Sqrt(45), Math.Sqrt(5)], Linalg.SvdVals(a.To(DType.Float32)), 1e-5);
        // Rank one [[1, 2], [2, 4]] = 5·(1, 2)ᵀ(1, 2)/5: S = (5, 0), and U, V stay orthogonal.
        var (u1, s1, vh1) = Linalg.Svd(M(new double[,] { { 1, 2 }, { 2, 4 } }));
        Near([5, 0], s1, 1e-14);
        Assert.True(MaxDiff(u1.T.MatMul(u1), Identity(2)) < 1e-15);
        Assert.True(MaxDiff(vh1.MatMul(vh1.T), Identity(2)) < 1e-15);
        // The zero matrix: S = 0, U and Vh orthogonal all the same.
        var (u0, s0, vh0) = Linalg.Svd(Tensor.Zeros([3, 2], DType.Float64));
        Near([0, 0], s0, 0);
        Assert.True(MaxDiff(u0.T.MatMul(u0), Identity(3)) < 1e-15);
        Assert.True(MaxDiff(vh0.MatMul(vh0.T), Identity(2)) < 1e-15);
    }

    [Fact]
    public void SvdShapesAndFactorsOnRandomBatches()
    {
        foreach (var shape in new[] { new[] { 2, 5, 3 }, [2, 3, 5], [4, 4] })
        {
            var a = Samples(5, shape);
            int m = shape[^2], n = shape[^1], k = Math.Min(m, n);
            int[] batch = shape[..^2];
            foreach (bool full in new[] { true, false })
            {
                var (u, s, vh) = Linalg.Svd(a, fullMatrices: full);
                Assert.Equal([.. batch, m, full ? m : k], u.Shape.ToArray());
                Assert.Equal([.. batch, k], s.Shape.ToArray());
                Assert.Equal([.. batch, full ? n : k, n], vh.Shape.ToArray());
                Assert.True(MaxDiff(u.T.MatMul(u), Tensor.Eye(u.Shape[-1], DType.Float64)) < 1e-14, "UᵀU = I");
                Assert.True(MaxDiff(vh.MatMul(vh.T), Tensor.Eye(vh.Shape[-2], DType.Float64)) < 1e-14, "VhVhᵀ = I");
                var (uk, vk) = (u.Narrow(-1, 0, k), vh.Narrow(-2, 0, k));
                Assert.True(MaxDiff((uk * s.Unsqueeze(-2)).MatMul(vk), a) < 1e-13, "U·S·Vh = A");
                var sd = D(s);
                for (int i = 0; i < sd.Length; i++) Assert.True(sd[i] >= 0 && (i % k == 0 || sd[i - 1] >= sd[i]), "descending, non-negative");
            }
            Near(D(Linalg.Svd(a).S), Linalg.SvdVals(a), 0);
        }
    }

    [Fact]
    public void GradientsKnownInClosedForm()
    {
        // Σλ = trace(A): the gradient is I (also through Eigh's vectors output left unused).
        var a = M(new double[,] { { 2, 1 }, { 1, 2 } });
        a.RequiresGrad = true;
        Linalg.EigvalsH(a).Sum().Backward();
        Near([1, 0, 0, 1], a.Grad!, 1e-15);
        // The largest singular value's gradient is u₁v₁ᵀ; for diag(3, 1) that is e₁e₁ᵀ.
        var b = M(new double[,] { { 3, 0 }, { 0, 1 } });
        b.RequiresGrad = true;
        Linalg.SvdVals(b).Narrow(0, 0, 1).Sum().Backward();
        Near([1, 0, 0, 0], b.Grad!, 1e-15);
        // Repeated values: SvdVals and EigvalsH stay finite (Σσ of I is U·Vᵀ = I; Σλ² of I is 2A = 2I).
        var c = Tensor.Eye(3, DType.Float64);
        c.RequiresGrad = true;
        Linalg.SvdVals(c).Sum().Backward();
        Near([1, 0, 0, 0, 1, 0, 0, 0, 1], c.Grad!, 1e-15);
        var d = Tensor.Eye(3, DType.Float64);
        d.RequiresGrad = true;
        Linalg.EigvalsH(d).Square().Sum().Backward();
        Near([2, 0, 0, 0, 2, 0, 0, 0, 2], d.Grad!, 1e-15);
    }

    [Fact]
    public void EmptyBatchesAndMatricesWork()
    {
        // Regression: the gradient of a decomposition of an empty batch read pieces of an empty packed output, views whose
        // offset lies past their (empty) storage, and the elementwise driver's one-run path took a span there.
        var x = Tensor.Zeros([0, 3, 2], DType.Float64);
        x.RequiresGrad = true;
        var g = Autograd.Grad([Linalg.SvdVals(x)], [x], [Tensor.Zeros([0, 2], DType.Float64)]);
        Assert.Equal([0, 3, 2], g[0]!.Shape.ToArray());
        var e = Tensor.Zeros([0, 3, 3], DType.Float64);
        e.RequiresGrad = true;
        Assert.Equal([0, 3, 3], Autograd.Grad([Linalg.EigvalsH(e)], [e], [Tensor.Zeros([0, 3], DType.Float64)])[0]!.Shape.ToArray());
        var (u, s, vh) = Linalg.Svd(Tensor.Zeros([3, 0], DType.Float64));
        Assert.Equal([3, 3], u.Shape.ToArray());
        Assert.Equal([0], s.Shape.ToArray());
        Assert.Equal([0, 0], vh.Shape.ToArray());
        var (q, r) = Linalg.Qr(Tensor.Zeros([2, 0, 4], DType.Float32));
        Assert.Equal([2, 0, 0], q.Shape.ToArray());
        Assert.Equal([2, 0, 4], r.Shape.ToArray());
    }

    [Fact]
    public void BadInputsAreErrorsNamingTheCaller()
    {
        var e = Assert.Throws<ArgumentException>(() => Linalg.Qr(Tensor.FromArray(new long[] { 1, 2, 3, 4 }, [2, 2])));
        Assert.Contains("Qr", e.Message);
        Assert.Contains("int64", e.Message);
        Assert.Contains("LinalgDecompositionTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => Linalg.Svd(Tensor.Zeros(3)));
        Assert.Contains("Svd", e.Message);
        Assert.Contains("LinalgDecompositionTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => Linalg.Eigh(Tensor.Zeros(2, 3)));
        Assert.Contains("Eigh: needs square matrices", e.Message);
        Assert.Contains("LinalgDecompositionTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => Linalg.SvdVals(Tensor.FromArray(new int[] { 1, 2 }, [1, 2])));
        Assert.Contains("SvdVals", e.Message);
        Assert.Contains("LinalgDecompositionTests.cs:", e.Message);
    }

    [Theory]
    [InlineData(new[] { 3, 5 }, 3, 5)]
    [InlineData(new[] { 5, 3 }, 5, 3)]
    [InlineData(new[] { 4, 2, 3 }, 4, 6)]
    public void InitOrthogonalGivesGainTimesAnOrthonormalSide(int[] shape, int rows, int cols)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var w = Tensor.Zeros(shape, dtype);
            w.RequiresGrad = true;   // filled under no-grad, like a parameter
            Assert.Same(w, Nabla.NN.Init.Orthogonal(w, gain: 1.5, seed: 7));
            Assert.Equal(shape, w.Shape.ToArray());
            Assert.True(w.RequiresGrad && w.IsLeaf);
            var flat = w.Detach().To(DType.Float64).Reshape(rows, cols);
            // The smaller side is orthonormal up to the gain: QᵀQ (cols ≤ rows) or QQᵀ (rows < cols) = 2.25·I.
            var gram = rows >= cols ? flat.T.MatMul(flat) : flat.MatMul(flat.T);
            double tol = dtype == DType.Float64 ? 1e-13 : 1e-5;
            Assert.True(MaxDiff(gram, Tensor.Eye(Math.Min(rows, cols), DType.Float64) * 2.25) < tol, $"{dtype}: Gram matrix = gain²·I");
            // Seeded: the same numbers again; another seed differs.
            var again = Nabla.NN.Init.Orthogonal(Tensor.Zeros(shape, dtype), 1.5, seed: 7);
            Assert.Equal(D(w), D(again));
            Assert.NotEqual(D(w), D(Nabla.NN.Init.Orthogonal(Tensor.Zeros(shape, dtype), 1.5, seed: 8)));
        }
    }

    [Fact]
    public void InitOrthogonalIsQTimesTheSignsOfRsDiagonal()
    {
        // PyTorch's recipe, written out: Q of the seeded draw, column j times sign(r_jj) (transposed when wide).
        var w = Nabla.NN.Init.Orthogonal(Tensor.Zeros([4, 3], DType.Float64), 1, seed: 3);
        var draw = Nabla.NN.Init.Normal([4, 3], DType.Float64, 3, 0);
        var (q, r) = Linalg.Qr(draw);
        Near(D(q * r.Diagonal().Sign().Unsqueeze(0)), w, 0);
        // Errors: fewer than 2 dims, integer tensors. Empty tensors are left as they are.
        var e = Assert.Throws<ArgumentException>(() => Nabla.NN.Init.Orthogonal(Tensor.Zeros(3), 1, null));
        Assert.Contains("Orthogonal", e.Message);
        Assert.Contains("LinalgDecompositionTests.cs:", e.Message);
        Assert.Throws<ArgumentException>(() => Nabla.NN.Init.Orthogonal(Tensor.Zeros([2, 2], DType.Int64), 1, null));
        Assert.Equal([0, 3], Nabla.NN.Init.Orthogonal(Tensor.Zeros([0, 3]), 1, null).Shape.ToArray());
    }

    /// <summary>float64 values uniform in [-2, 2) from a fixed seed.</summary>
    internal static Tensor Samples(int seed, int[] shape) => Nabla.Tests.OpDb.Samples.Uniform(seed, shape);
}
