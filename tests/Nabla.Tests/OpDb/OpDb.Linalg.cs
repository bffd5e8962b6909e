using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

/// <summary>
/// Linalg's factorizations and norms. The ops take well-conditioned matrices by construction, inside the op: a sample
/// matrix in [−1, 1] plus (n+1)·I (invertible and far from singular even when the edge-layout tests make all its rows
/// equal), and x·xᵀ + n·I for Cholesky (symmetric positive-definite). The references are written apart from the
/// library's LU: Gauss-Jordan inverses, Laplace expansion for determinants, substitution loops.
/// </summary>
internal static partial class OpDb
{
    static Tensor Shifted(Tensor a) => a + (a.Shape[^1] + 1) * Tensor.Eye(a.Shape[^1], a.DType, a.Device);

    static Tensor Spd(Tensor x) => x.MatMul(x.T) + x.Shape[^1] * Tensor.Eye(x.Shape[^1], x.DType, x.Device);

    static Tensor Mat(int seed, params int[] shape) => Samples.Uniform(seed, shape, -1, 1);

    static IEnumerable<OpInfo> LinalgEntries()
    {
        yield return new OpInfo
        {
            Name = "Linalg.Solve", Covers = ["Solve"], Op = x => Linalg.Solve(Shifted(x[0]), x[1]),
            Reference = r => PerMatrix(r[0], r[1].Shape, (a, i, n) => RefMatMul(RefInverse(RefShifted(a, n), n), Block(r[1], i, n * r[1].Shape[^1]), n, n, r[1].Shape[^1])),
            Samples = () => [new("matrix", [Mat(901, 3, 3), Mat(902, 3, 2)]), new("batch", [Mat(903, 2, 3, 3), Mat(904, 2, 3, 2)]),
                new("transposed A", [Samples.Transposed(905, 3, 3, -1, 1), Mat(906, 3, 2)])],
        };
        yield return new OpInfo
        {
            // b is 1-d (broadcast against A's batch) or exactly A.shape[:-1]: a batch of vectors, as torch.linalg.solve.
            Name = "Linalg.Solve(vectors)", Covers = ["Solve"], Op = x => Linalg.Solve(Shifted(x[0]), x[1]),
            Reference = r => PerMatrix(r[0], r[0].Shape[..^1], (a, i, n) =>
                RefMatMul(RefInverse(RefShifted(a, n), n), r[1].Shape.Length == 1 ? r[1].Data : Block(r[1], i, n), n, n, 1)),
            Samples = () => [new("1-d b", [Mat(907, 2, 3, 3), Mat(908, 3)]), new("batch of b", [Mat(909, 2, 3, 3), Mat(910, 2, 3)])],
        };
        yield return new OpInfo
        {
            Name = "Linalg.Solve(left: false)", Covers = ["Solve"], Op = x => Linalg.Solve(Shifted(x[0]), x[1], left: false),
            Reference = r => PerMatrix(r[0], r[1].Shape, (a, i, n) => RefMatMul(Block(r[1], i, r[1].Shape[^2] * n), RefInverse(RefShifted(a, n), n), r[1].Shape[^2], n, n)),
            Samples = () => [new("x·A = b", [Mat(911, 2, 3, 3), Mat(912, 2, 2, 3)])],
        };
        yield return new OpInfo
        {
            Name = "Linalg.Inv", Covers = ["Inv"], Op = x => Linalg.Inv(Shifted(x[0])),
            Reference = r => PerMatrix(r[0], r[0].Shape, (a, _, n) => RefInverse(RefShifted(a, n), n)),
            Samples = () => [new("matrix", [Mat(913, 3, 3)]), new("batch", [Mat(914, 2, 2, 3, 3)]), new("transposed", [Samples.Transposed(915, 4, 4, -1, 1)])],
        };
        yield return new OpInfo
        {
            Name = "Linalg.Det", Covers = ["Det"], Op = x => Linalg.Det(Shifted(x[0])),
            Reference = r => PerMatrix(r[0], r[0].Shape[..^2], (a, _, n) => [RefDet(RefShifted(a, n), n)]),
            Samples = () => [new("matrix", [Mat(916, 3, 3)]), new("batch", [Mat(917, 2, 3, 3)]), new("transposed", [Samples.Transposed(918, 4, 4, -1, 1)])],
        };
        yield return new OpInfo
        {
            // At singular matrices (rank 2 and rank 1): det 0 and its gradient the cofactor matrix, as PyTorch. Second order
            // there goes through A⁻¹ and is not supported (documented on Linalg.Det).
            Name = "Linalg.Det(singular)", Covers = ["Det"], Op = x => Linalg.Det(x[0]), SecondOrder = false,
            Reference = r => PerMatrix(r[0], r[0].Shape[..^2], (a, _, n) => [RefDet(a, n)]),
            Samples = () => [new("rank 2 and rank 1", [Tensor.FromArray(new double[] { 2, 0, 1, 1, 3, 2, 1, 1, 1, 1, 2, 3, 2, 4, 6, 3, 6, 9 }, [2, 3, 3])])],
        };
        yield return new OpInfo
        {
            // Rows flipped: one swap for n = 3, so the sign is −1; sign · log|det| checks both outputs.
            Name = "Linalg.SlogDet", Covers = ["SlogDet"], Op = x => { var (s, l) = Linalg.SlogDet(Shifted(x[0]).Flip(-2)); return s * l; },
            Reference = r => PerMatrix(r[0], r[0].Shape[..^2], (a, _, n) =>
            {
                double d = RefDet(RefShifted(a, n), n) * (n % 4 is 2 or 3 ? -1 : 1);   // flipping n rows is n/2 swaps
                return [Math.Sign(d) * Math.Log(Math.Abs(d))];
            }),
            Samples = () => [new("matrix", [Mat(919, 3, 3)]), new("batch", [Mat(920, 2, 4, 4)])],
        };
        yield return new OpInfo
        {
            Name = "Linalg.Cholesky", Covers = ["Cholesky"], Op = x => Linalg.Cholesky(Spd(x[0])),
            Reference = r => PerMatrix(r[0], r[0].Shape, (a, _, n) => RefCholesky(RefSpd(a, n), n)),
            Samples = () => [new("matrix", [Mat(921, 3, 3)]), new("batch", [Mat(922, 2, 3, 3)]), new("transposed", [Samples.Transposed(923, 4, 4, -1, 1)])],
        };
        yield return new OpInfo
        {
            Name = "Linalg.Cholesky(upper)", Covers = ["Cholesky"], Op = x => Linalg.Cholesky(Spd(x[0]), upper: true),
            Reference = r => PerMatrix(r[0], r[0].Shape, (a, _, n) => Transposed(RefCholesky(RefSpd(a, n), n), n, n)),
            Samples = () => [new("batch", [Mat(924, 2, 3, 3)])],
        };
        yield return new OpInfo
        {
            Name = "Linalg.SolveTriangular", Covers = ["SolveTriangular"], Op = x => Linalg.SolveTriangular(Shifted(x[0]), x[1], upper: true),
            Reference = r => PerMatrix(r[0], [.. r[0].Shape[..^2], .. r[1].Shape[^2..]], (a, i, n) =>
                RefMatMul(RefInverse(Triangle(RefShifted(a, n), n, upper: true, unit: false), n), Block(r[1], r[1].Shape.Length == 2 ? 0 : i, n * r[1].Shape[^1]), n, n, r[1].Shape[^1])),
            Samples = () => [new("matrix", [Mat(925, 3, 3), Mat(926, 3, 2)]), new("broadcast b", [Mat(927, 2, 3, 3), Mat(928, 3, 2)]),
                new("transposed A", [Samples.Transposed(929, 3, 3, -1, 1), Mat(930, 3, 1)])],
        };
        yield return new OpInfo
        {
            // X·A = B with A unit lower triangular: neither A's diagonal nor its upper triangle is read.
            Name = "Linalg.SolveTriangular(lower, unit, right)", Covers = ["SolveTriangular"],
            Op = x => Linalg.SolveTriangular(x[0], x[1], upper: false, left: false, unitriangular: true),
            Reference = r => PerMatrix(r[0], r[1].Shape, (a, i, n) => RefMatMul(Block(r[1], i, r[1].Shape[^2] * n), RefInverse(Triangle(a, n, upper: false, unit: true), n), r[1].Shape[^2], n, n)),
            Samples = () => [new("batch", [Mat(931, 2, 3, 3), Mat(932, 2, 2, 3)])],
        };
        yield return new OpInfo
        {
            Name = "Linalg.VectorNorm", Covers = ["VectorNorm"], Op = x => Linalg.VectorNorm(x[0], 3, dims: [0, 2], keepDim: true) + Linalg.VectorNorm(x[0], double.PositiveInfinity, 2, keepDim: true).Narrow(0, 0, 1),
            Reference = r => Make([1, 3, 1], i => Math.Cbrt(Enumerable.Range(0, 2).Sum(a => Enumerable.Range(0, 4).Sum(c => Math.Pow(Math.Abs(r[0][[a, i[1], c]]), 3))))
                + Enumerable.Range(0, 4).Max(c => Math.Abs(r[0][[0, i[1], c]]))),
            Samples = () => [new("rank 3", [Samples.Uniform(933, [2, 3, 4])])],
        };
        yield return new OpInfo
        {
            Name = "Norm(fro)", Covers = ["Norm"], Op = x => x[0].Norm("fro") + x[0].Norm("fro", dims: [1]),
            Reference = r => Make([3], i => Math.Sqrt(r[0].Data.Sum(v => v * v)) + Math.Sqrt(Enumerable.Range(0, 4).Sum(c => r[0][[i[0], c]] * r[0][[i[0], c]]))),
            Samples = () => [new("matrix", [Samples.Uniform(934, [3, 4])]), new("transposed", [Samples.Transposed(935, 3, 4)])],
        };
    }

    /// <summary>f(matrix i, i, n) for each n×n matrix of <paramref name="a"/>'s batch, concatenated into <paramref name="shape"/>.</summary>
    static RefArray PerMatrix(RefArray a, int[] shape, Func<double[], int, int, double[]> f)
    {
        int n = a.Shape[^1], count = 1;
        foreach (var d in a.Shape[..^2]) count *= d;
        var data = Enumerable.Range(0, count).SelectMany(i => f(Block(a, i, n * n), i, n)).ToArray();
        Assert.Equal(new RefArray(new double[data.Length], shape).Count, data.Length);
        return new RefArray(data, shape);
    }

    static double[] Block(RefArray r, int i, int size) => r.Data.AsSpan(i * size, size).ToArray();

    static double[] RefShifted(double[] a, int n) => Enumerable.Range(0, n * n).Select(k => a[k] + (k / n == k % n ? n + 1 : 0)).ToArray();

    static double[] RefSpd(double[] a, int n) =>
        Enumerable.Range(0, n * n).Select(k => Enumerable.Range(0, n).Sum(c => a[k / n * n + c] * a[k % n * n + c]) + (k / n == k % n ? n : 0)).ToArray();

    static double[] Transposed(double[] a, int rows, int cols) => Enumerable.Range(0, rows * cols).Select(k => a[k % rows * cols + k / rows]).ToArray();

    /// <summary>The upper (or lower) triangle of a, the rest zero; with <paramref name="unit"/> ones on the diagonal.</summary>
    static double[] Triangle(double[] a, int n, bool upper, bool unit) => Enumerable.Range(0, n * n).Select(k =>
    {
        int i = k / n, j = k % n;
        return i == j ? (unit ? 1 : a[k]) : (upper ? j > i : j < i) ? a[k] : 0;
    }).ToArray();

    static double[] RefMatMul(double[] a, double[] b, int m, int k, int n) =>
        Enumerable.Range(0, m * n).Select(e => Enumerable.Range(0, k).Sum(p => a[e / n * k + p] * b[p * n + e % n])).ToArray();

    /// <summary>Gauss-Jordan elimination on [A | I] with the largest pivot in each column.</summary>
    static double[] RefInverse(double[] a, int n)
    {
        var m = new double[n, 2 * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) m[i, j] = a[i * n + j];
            m[i, n + i] = 1;
        }
        for (int c = 0; c < n; c++)
        {
            int p = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(m[r, c]));
            for (int j = 0; j < 2 * n; j++) (m[c, j], m[p, j]) = (m[p, j], m[c, j]);
            double pivot = m[c, c];
            for (int j = 0; j < 2 * n; j++) m[c, j] /= pivot;
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = m[r, c];
                for (int j = 0; j < 2 * n; j++) m[r, j] -= f * m[c, j];
            }
        }
        return Enumerable.Range(0, n * n).Select(k => m[k / n, n + k % n]).ToArray();
    }

    /// <summary>Laplace expansion along the first row.</summary>
    static double RefDet(double[] a, int n)
    {
        if (n == 1) return a[0];
        double det = 0;
        for (int j = 0; j < n; j++)
        {
            var minor = Enumerable.Range(n, n * n - n).Where(k => k % n != j).Select(k => a[k]).ToArray();
            det += (j % 2 == 0 ? 1 : -1) * a[j] * RefDet(minor, n - 1);
        }
        return det;
    }

    /// <summary>Cholesky by columns: l_jj = sqrt(a_jj − Σ l_jk²), l_ij = (a_ij − Σ l_ik·l_jk) / l_jj.</summary>
    static double[] RefCholesky(double[] a, int n)
    {
        var l = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            l[j, j] = Math.Sqrt(a[j * n + j] - Enumerable.Range(0, j).Sum(k => l[j, k] * l[j, k]));
            for (int i = j + 1; i < n; i++) l[i, j] = (a[i * n + j] - Enumerable.Range(0, j).Sum(k => l[i, k] * l[j, k])) / l[j, j];
        }
        return Enumerable.Range(0, n * n).Select(k => l[k / n, k % n]).ToArray();
    }
}
