namespace Nabla.Tests.Ops;

/// <summary>
/// Linalg.Solve/Inv/Det/SlogDet/Cholesky/SolveTriangular and the vector norms against small results worked by hand,
/// identities (Inv(A)·A = I, Solve = Inv·b), singular and non-positive-definite inputs, batches, errors.
/// </summary>
public class LinalgSolveTests
{
    static Tensor M(double[,] a, DType dtype = DType.Float64) => Tensor.FromArray(a).To(dtype);

    static void Near(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var got = actual.ToDoubleArray();
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(expected[i] - got[i]) <= tol * (1 + Math.Abs(expected[i])), $"[{i}]: {got[i]} vs {expected[i]}");
    }

    /// <summary>A well-conditioned batch: uniform entries plus n·I.</summary>
    static Tensor WellConditioned(int seed, int[] batch, int n, DType dtype = DType.Float64) =>
        (Tensor.Rand([.. batch, n, n], seed: seed, dtype: DType.Float64) + n * Tensor.Eye(n, DType.Float64)).To(dtype);

    [Theory]
    [InlineData(DType.Float64, 1e-14)]
    [InlineData(DType.Float32, 1e-6)]
    public void SolvesATwoByTwoSystemWorkedByHand(DType dtype, double tol)
    {
        // 3x + y = 9, x + 2y = 8  ->  x = 2, y = 3
        var a = M(new double[,] { { 3, 1 }, { 1, 2 } }, dtype);
        var x = Linalg.Solve(a, Tensor.FromArray(new double[] { 9, 8 }, [2]).To(dtype));
        Assert.Equal(dtype, x.DType);
        Assert.Equal([2], x.Shape.ToArray());
        Near([2, 3], x, tol);
        // Two right-hand sides at once, and X·A = B (left: false): [x y]·A = [9 8] -> 3x + y = 9, x + 2y = 8 (A symmetric).
        Near([2, 1, 3, 1], Linalg.Solve(a, M(new double[,] { { 9, 4 }, { 8, 3 } }, dtype)), tol);
        Near([2, 3], Linalg.Solve(a, Tensor.FromArray(new double[] { 9, 8 }, [1, 2]).To(dtype), left: false), tol);
    }

    [Fact]
    public void InverseOfAThreeByThreeWithDetOne()
    {
        // det [[1,2,3],[0,1,4],[5,6,0]] = 1·(0−24) − 2·(0−20) + 3·(0−5) = 1, so the inverse is the adjugate (integers).
        var a = M(new double[,] { { 1, 2, 3 }, { 0, 1, 4 }, { 5, 6, 0 } });
        Near([-24, 18, 5, 20, -15, -4, -5, 4, 1], Linalg.Inv(a), 1e-12);
        Near([1], Linalg.Det(a), 1e-12);
        var (sign, logAbs) = Linalg.SlogDet(a);
        Near([1], sign);
        Near([0], logAbs, 1e-12);
    }

    [Theory]
    [InlineData(DType.Float64, 1e-12)]
    [InlineData(DType.Float32, 2e-5)]
    public void InvTimesAIsTheIdentityAndSolveMatchesInvTimesB(DType dtype, double tol)
    {
        var a = WellConditioned(1, [2, 3], 4, dtype);
        var eye = Tensor.Eye(4, DType.Float64).BroadcastTo([2, 3, 4, 4]).ToDoubleArray();
        Near(eye, Linalg.Inv(a).MatMul(a), tol);
        Near(eye, a.MatMul(Linalg.Inv(a)), tol);
        var b = Tensor.Rand([4, 2], seed: 2, dtype: DType.Float64).To(dtype);      // batch dims broadcast: X is [2, 3, 4, 2]
        var x = Linalg.Solve(a, b);
        Assert.Equal([2, 3, 4, 2], x.Shape.ToArray());
        Near(Linalg.Inv(a).MatMul(b).ToDoubleArray(), x, tol);
        Near(b.BroadcastTo([2, 3, 4, 2]).ToDoubleArray(), a.MatMul(x), tol);
    }

    [Fact]
    public void VectorRightHandSidesFollowPyTorchsRule()
    {
        var a = WellConditioned(3, [2], 3);
        var v = Tensor.Rand([2, 3], seed: 4, dtype: DType.Float64);   // exactly A.shape[:-1]: a batch of vectors
        var x = Linalg.Solve(a, v);
        Assert.Equal([2, 3], x.Shape.ToArray());
        Near(v.ToDoubleArray(), a.MatMul(x.Unsqueeze(-1)).Squeeze(-1));
        var one = Linalg.Solve(a, Tensor.FromArray(new double[] { 1, 2, 3 }, [3]));   // 1-d: broadcast against the batch
        Assert.Equal([2, 3], one.Shape.ToArray());
        var right = Linalg.Solve(a, v, left: false);                                   // x·A = v
        Near(v.ToDoubleArray(), right.Unsqueeze(-2).MatMul(a).Squeeze(-2));
    }

    [Fact]
    public void DeterminantsOfPermutationsSingularAndEmptyMatrices()
    {
        Near([-1], Linalg.Det(M(new double[,] { { 0, 1 }, { 1, 0 } })));
        Near([1], Linalg.Det(M(new double[,] { { 0, 1, 0 }, { 0, 0, 1 }, { 1, 0, 0 } })));   // a 3-cycle is even
        Near([0], Linalg.Det(M(new double[,] { { 1, 2 }, { 2, 4 } })));
        Near([0], Linalg.Det(M(new double[,] { { 2, 0, 1 }, { 1, 3, 2 }, { 1, 1, 1 } })));   // row 0 = row 1 + ... : rank 2
        Near([1], Linalg.Det(Tensor.Zeros([0, 0], DType.Float64)));
        Near([24, -6], Linalg.Det(Tensor.FromArray(new double[] { 2, 0, 0, 12, 0, 3, 2, 0 }, [2, 2, 2])));
        var (sign, logAbs) = Linalg.SlogDet(M(new double[,] { { 1, 2 }, { 2, 4 } }));
        Near([0], sign);
        Assert.Equal(double.NegativeInfinity, logAbs.ToDoubleArray()[0]);
        // det(100·I) of size 200 is 1e400: det overflows, slogdet does not.
        var big = 100 * Tensor.Eye(200, DType.Float64);
        Assert.Equal(double.PositiveInfinity, Linalg.Det(big).ToDoubleArray()[0]);
        Near([200 * Math.Log(100)], Linalg.SlogDet(big).LogAbsDet, 1e-13);
        Near([-1], Linalg.SlogDet(M(new double[,] { { 0, 1 }, { 1, 0 } })).Sign);
    }

    [Fact]
    public void DetGradientIsTheCofactorMatrixAlsoAtSingularMatrices()
    {
        // Invertible: d det / dA = det·A⁻ᵀ; for [[3,1],[1,2]] (det 5) that is [[2,-1],[-1,3]].
        var a = Tensor.FromArray(new double[,] { { 3, 1 }, { 1, 2 } }, requiresGrad: true);
        Linalg.Det(a).Backward();
        Near([2, -1, -1, 3], a.Grad!);
        // Rank 1 (2x2): the cofactors [[d,-c],[-b,a]] of [[1,2],[2,4]], as PyTorch.
        var s = Tensor.FromArray(new double[,] { { 1, 2 }, { 2, 4 } }, requiresGrad: true);
        Linalg.Det(s).Backward();
        Near([4, -2, -2, 1], s.Grad!);
        // Rank 2 (3x3), cofactors worked by hand: C_ij = (−1)^(i+j)·minor_ij.
        var r = Tensor.FromArray(new double[,] { { 2, 0, 1 }, { 1, 3, 2 }, { 1, 1, 1 } }, requiresGrad: true);
        Linalg.Det(r).Backward();
        Near([1, 1, -2, 1, 1, -2, -3, -3, 6], r.Grad!);
        // Rank 1 (3x3): every 2x2 minor vanishes, so the gradient is 0.
        var one = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 2, 4, 6 }, { 3, 6, 9 } }, requiresGrad: true);
        Linalg.Det(one).Backward();
        Near(new double[9], one.Grad!);
    }

    [Fact]
    public void SlogDetGradientIsTheInverseTranspose()
    {
        var a = Tensor.FromArray(new double[,] { { 3, 1 }, { 1, 2 } }, requiresGrad: true);
        Linalg.SlogDet(a).LogAbsDet.Backward();
        Near([0.4, -0.2, -0.2, 0.6], a.Grad!, 1e-14);   // A⁻ᵀ = [[2,-1],[-1,3]] / 5
    }

    [Theory]
    [InlineData(DType.Float64, 1e-14)]
    [InlineData(DType.Float32, 1e-6)]
    public void CholeskyOfTheClassicExample(DType dtype, double tol)
    {
        // [[4,12,-16],[12,37,-43],[-16,-43,98]] = L·Lᵀ with L = [[2,0,0],[6,1,0],[-8,5,3]].
        var a = M(new double[,] { { 4, 12, -16 }, { 12, 37, -43 }, { -16, -43, 98 } }, dtype);
        Near([2, 0, 0, 6, 1, 0, -8, 5, 3], Linalg.Cholesky(a), tol);
        Near([2, 6, -8, 0, 1, 5, 0, 0, 3], Linalg.Cholesky(a, upper: true), tol);
        // Only the lower triangle is read, the upper one with upper: true (LAPACK's uplo, as PyTorch).
        var lowerOnly = M(new double[,] { { 4, 99, 99 }, { 12, 37, 99 }, { -16, -43, 98 } }, dtype);
        Near([2, 0, 0, 6, 1, 0, -8, 5, 3], Linalg.Cholesky(lowerOnly), tol);
        var upperOnly = M(new double[,] { { 4, 12, -16 }, { 99, 37, -43 }, { 99, 99, 98 } }, dtype);
        Near([2, 6, -8, 0, 1, 5, 0, 0, 3], Linalg.Cholesky(upperOnly, upper: true), tol);
    }

    [Fact]
    public void CholeskyGradientOfAOneByOne()
    {
        // L = sqrt(a): dL/da = 1 / (2·sqrt(a)) = 1/6 at a = 9.
        var a = Tensor.FromArray(new double[] { 9 }, [1, 1], requiresGrad: true);
        Linalg.Cholesky(a).Sum().Backward();
        Near([1.0 / 6], a.Grad!, 1e-15);
    }

    [Fact]
    public void TriangularSolvesWorkedByHand()
    {
        // [[2,1],[0,4]]·x = [5, 8] -> x₂ = 2, x₁ = (5 − 2)/2 = 1.5; the 9 below the diagonal is not read.
        var u = M(new double[,] { { 2, 1 }, { 9, 4 } });
        Near([1.5, 2], Linalg.SolveTriangular(u, Tensor.FromArray(new double[] { 5, 8 }, [2, 1]), upper: true));
        // Unit lower: [[1,0],[3,1]]·x = [1, 5] -> x = [1, 2]; the 7 and 9 on the diagonal are not read.
        var l = M(new double[,] { { 7, 5 }, { 3, 9 } });
        Near([1, 2], Linalg.SolveTriangular(l, Tensor.FromArray(new double[] { 1, 5 }, [2, 1]), upper: false, unitriangular: true));
        // left: false: x·[[2,1],[0,4]] = [4, 10] -> 2x₁ = 4, x₁ + 4x₂ = 10 -> x = [2, 2].
        Near([2, 2], Linalg.SolveTriangular(u, Tensor.FromArray(new double[] { 4, 10 }, [1, 2]), upper: true, left: false));
        // A zero on the diagonal is not checked (as PyTorch): inf/NaN.
        var zero = Linalg.SolveTriangular(M(new double[,] { { 0, 1 }, { 0, 1 } }), Tensor.Ones([2, 1], DType.Float64), upper: true);
        Assert.Contains(zero.ToDoubleArray(), v => !double.IsFinite(v));
    }

    [Fact]
    public void FrobeniusAndVectorNorms()
    {
        var x = M(new double[,] { { 1, 2 }, { 3, 4 } });
        Near([Math.Sqrt(30)], x.Norm("fro"), 1e-15);
        Near([Math.Sqrt(5), 5], x.Norm("fro", dims: [1]), 1e-15);
        Assert.Equal([2, 1], x.Norm("fro", dims: [1], keepDim: true).Shape.ToArray());
        Near([Math.Sqrt(30)], x.Norm("fro", dims: [0, 1]), 1e-15);
        Near([5], Linalg.VectorNorm(Tensor.FromArray(new double[] { 3, -4 }, [2])));
        Near([4], Linalg.VectorNorm(Tensor.FromArray(new double[] { 3, -4 }, [2]), double.PositiveInfinity));
        Near([4, 6], Linalg.VectorNorm(x, 1, dims: [0]));
        Near([3, 7], Linalg.VectorNorm(x, 1, 1));
        Near([Math.Sqrt(30)], Linalg.VectorNorm(x, 2, dims: []));   // empty dims: all elements, as PyTorch
        Assert.Equal(DType.Float32, x.To(DType.Float32).Norm("fro").DType);
    }

    [Fact]
    public void ACompiledSolveChecksSingularityOnEveryCall()
    {
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)((a, b) => Linalg.Solve(a, b)));
        var b = Tensor.FromArray(new double[] { 9, 8 }, [2]);
        Near([2, 3], cf.Call(M(new double[,] { { 3, 1 }, { 1, 2 } }), b));   // trace
        Near([2, 3], cf.Call(M(new double[,] { { 3, 1 }, { 1, 2 } }), b));   // replay
        var e = Assert.Throws<ArgumentException>(() => cf.Call(M(new double[,] { { 1, 2 }, { 2, 4 } }), b));
        Assert.Contains("singular", e.Message);
    }

    [Fact]
    public void ASavedGraphOfEveryFactorizationLoadsAndKeepsItsChecks()
    {
        static Tensor F(Tensor a, Tensor b)
        {
            var spd = a.MatMul(a.T) + 3 * Tensor.Eye(3, DType.Float64);
            var l = Linalg.Cholesky(spd);
            var x = Linalg.SolveTriangular(l, b, upper: false) + Linalg.Solve(a, b, left: true) + Linalg.Inv(a).MatMul(b);
            return x.Sum() + Linalg.Det(a) + Linalg.SlogDet(spd).LogAbsDet;
        }
        var compiled = Graph.Compile((Func<Tensor, Tensor, Tensor>)F);
        var (a0, b0) = (WellConditioned(5, [], 3), Tensor.Rand([3, 2], seed: 6, dtype: DType.Float64));
        compiled.Call(a0, b0);
        using var stream = new MemoryStream();
        compiled.Save(stream);
        stream.Position = 0;
        var loaded = CompiledFunction.Load(stream);
        var (a1, b1) = (WellConditioned(7, [], 3), Tensor.Rand([3, 2], seed: 8, dtype: DType.Float64));
        Near(F(a1, b1).ToDoubleArray(), loaded.Call(a1, b1));
        var e = Assert.Throws<ArgumentException>(() => loaded.Call(M(new double[,] { { 1, 2, 3 }, { 2, 4, 6 }, { 0, 0, 1 } }), b1));
        Assert.Contains("singular", e.Message);
    }

    [Fact]
    public void OneTraceServesEveryBatchSizeWithDynamicDims()
    {
        static Tensor F(Tensor a, Tensor b) =>
            Linalg.Solve(a, b).Sum() + Linalg.Inv(a).Sum() + Linalg.Det(a).Sum() + Linalg.Cholesky(a.MatMul(a.T)).Sum();
        var options = new CompileOptions { InputSignature = [new TensorSpec([null, 3, 3]), new TensorSpec([null, 3, 2])] };
        var f = Graph.Compile((Func<Tensor, Tensor, Tensor>)F, options);
        foreach (var n in new[] { 4, 2, 6, 4 })
        {
            var (a, b) = (WellConditioned(10 + n, [n], 3), Tensor.Rand([n, 3, 2], seed: 20 + n, dtype: DType.Float64));
            Assert.Equal(F(a, b).ToDoubleArray(), f.Call(a, b).ToDoubleArray());
        }
        Assert.True(f.TraceCount == 1, f.Explain());
    }

    [Fact]
    public void NaNSpreadsInsteadOfLookingSingular()
    {
        // A NaN pivot column must not read as a zero pivot: Solve gives NaN (no error), Det NaN; Cholesky calls NaN not positive.
        var a = M(new double[,] { { 0, 1 }, { double.NaN, 2 } });
        Assert.All(Linalg.Solve(a, Tensor.Ones([2], DType.Float64)).ToDoubleArray(), v => Assert.True(double.IsNaN(v)));
        Assert.True(double.IsNaN(Linalg.Det(a).ToDoubleArray()[0]));
        Assert.True(double.IsNaN(Linalg.SlogDet(a).LogAbsDet.ToDoubleArray()[0]));
        var e = Assert.Throws<ArgumentException>(() => Linalg.Cholesky(M(new double[,] { { double.NaN, 0 }, { 0, 1 } })));
        Assert.Contains("leading minor of order 1", e.Message);
    }

    [Fact]
    public void BadInputsAreErrorsNamingTheOpAndTheCaller()
    {
        var batch = Tensor.Stack([Tensor.Eye(2, DType.Float64), M(new double[,] { { 1, 2 }, { 2, 4 } })]);
        var e = Assert.Throws<ArgumentException>(() => Linalg.Solve(batch, Tensor.Ones([2, 2], DType.Float64)));
        Assert.Contains("Solve", e.Message);
        Assert.Contains("batch index [1]", e.Message);
        Assert.Contains("singular", e.Message);
        Assert.Contains("LinalgSolveTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => Linalg.Inv(M(new double[,] { { 1, 2 }, { 2, 4 } })));
        Assert.StartsWith("Inv: the matrix is singular", e.Message);
        Assert.Contains("LinalgSolveTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => Linalg.Cholesky(M(new double[,] { { 1, 2 }, { 2, 1 } })));
        Assert.Contains("Cholesky: the matrix is not positive-definite (its leading minor of order 2", e.Message);
        Assert.Contains("LinalgSolveTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => Linalg.Det(Tensor.Zeros([2, 3], DType.Float64)));
        Assert.Contains("Det: A must be a square matrix", e.Message);
        Assert.Contains("LinalgSolveTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => Linalg.Inv(Tensor.FromArray(new long[] { 1, 0, 0, 1 }, [2, 2])));
        Assert.Contains("float32 or float64", e.Message);
        e = Assert.Throws<ArgumentException>(() => Linalg.Solve(Tensor.Eye(2, DType.Float64), Tensor.Ones([2])));
        Assert.Contains("same dtype", e.Message);
        e = Assert.Throws<ArgumentException>(() => Linalg.Solve(Tensor.Eye(3, DType.Float64), Tensor.Ones([2, 2], DType.Float64)));
        Assert.Contains("B must have 3 rows", e.Message);
        e = Assert.Throws<ArgumentException>(() => Linalg.SolveTriangular(Tensor.Eye(3, DType.Float64), Tensor.Ones([3], DType.Float64), upper: true));
        Assert.Contains("SolveTriangular", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Ones([2, 2]).Norm("nuc"));
        Assert.Contains("nuclear", e.Message);
        Assert.Contains("LinalgSolveTests.cs:", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Ones([2, 2]).Norm("frob"));
        Assert.Throws<ArgumentException>(() => Tensor.Ones([2, 2, 2]).Norm("fro", dims: [0, 1, 2]));
    }
}
