using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

/// <summary>
/// Linalg.Qr / Eigh / EigvalsH / Svd / SvdVals. Each entry outputs what is uniquely determined by A (so finite
/// differences are well-defined): Q and R with R's diagonal made positive (the unique QR), eigenvalues and the squares
/// of the eigenvectors' entries (free of their signs), singular values and the squares of U's and Vh's entries. The
/// references are written here, apart from the library's algorithms: Gram-Schmidt QR, and a classical (largest element
/// first) Jacobi eigensolver, also applied to AᵀA (or AAᵀ) for the SVD. Samples have well-separated eigen- and
/// singular values.
/// </summary>
internal static partial class OpDb
{
    static IEnumerable<OpInfo> DecompositionEntries()
    {
        yield return new OpInfo
        {
            Name = "Qr(reduced)", Covers = ["Qr"], Samples = RectangularSamples,
            Op = x => UniqueQr(Linalg.Qr(x[0])),
            Reference = r => PerMatrix(r[0], GramSchmidtQr),
        };
        yield return new OpInfo
        {
            Name = "Qr(complete, wide)", Covers = ["Qr"],
            Samples = () => [new("wide", [Samples.Uniform(601, [3, 4])]), new("square batch", [Samples.Uniform(602, [2, 3, 3])])],
            Op = x => UniqueQr(Linalg.Qr(x[0], QrMode.Complete)),
            Reference = r => PerMatrix(r[0], GramSchmidtQr),
        };
        yield return new OpInfo
        {
            Name = "Qr(Q·R)", Covers = ["Qr"], Samples = RectangularSamples,
            Op = x =>
            {
                var (q, r) = Linalg.Qr(x[0]);
                return q.MatMul(r);
            },
            Reference = r => r[0],
        };
        yield return new OpInfo
        {
            Name = "Eigh", Covers = ["Eigh"], Samples = SquareSamples,
            Op = x => EighPacked(Linalg.Eigh(x[0] + x[0].T)),
            Reference = r => PerMatrix(Symmetrized(r[0]), EighReferencePacked),
        };
        yield return new OpInfo
        {
            // The lower triangle holds junk that must not be read.
            Name = "Eigh(upper)", Covers = ["Eigh"], Samples = SquareSamples,
            Op = x => EighPacked(Linalg.Eigh(x[0] + x[0].T + Tensor.FullLike(x[0], 7).Tril(-1), upper: true)),
            Reference = r => PerMatrix(Symmetrized(r[0]), EighReferencePacked),
        };
        yield return new OpInfo
        {
            Name = "EigvalsH", Covers = ["EigvalsH"], Samples = SquareSamples,
            Op = x => Linalg.EigvalsH(x[0] + x[0].T),
            Reference = r => PerMatrix(Symmetrized(r[0]), (a, m, _) => EigenReference(a, m).Values),
        };
        foreach (bool full in new[] { false, true })
            yield return new OpInfo
            {
                Name = $"Svd(fullMatrices={full})", Covers = ["Svd"], Samples = RectangularSamples,
                Op = x =>
                {
                    var (u, s, vh) = Linalg.Svd(x[0], fullMatrices: full);
                    int k = s.Shape[-1];   // the full form's extra vectors are an arbitrary basis: not compared
                    return Packed(s, u.Narrow(-1, 0, k).Square(), vh.Narrow(-2, 0, k).Square());
                },
                Reference = r => PerMatrix(r[0], SvdReference),
            };
        yield return new OpInfo
        {
            Name = "SvdVals", Covers = ["SvdVals"], Samples = RectangularSamples,
            Op = x => Linalg.SvdVals(x[0]),
            Reference = r => PerMatrix(r[0], (a, m, n) => SvdReference(a, m, n)[..Math.Min(m, n)]),
        };
    }

    static IEnumerable<OpSample> RectangularSamples()
    {
        yield return new("tall", [Samples.Uniform(611, [4, 3])]);
        yield return new("square", [Samples.Uniform(612, [3, 3])]);
        yield return new("wide", [Samples.Uniform(613, [2, 4])]);
        yield return new("batch", [Samples.Uniform(614, [2, 3, 2])]);
        yield return new("non-contiguous", [Samples.Transposed(615, 4, 3)]);
    }

    static IEnumerable<OpSample> SquareSamples()
    {
        yield return new("3x3", [Samples.Uniform(621, [3, 3])]);
        yield return new("4x4", [Samples.Uniform(622, [4, 4])]);
        yield return new("batch", [Samples.Uniform(623, [2, 3, 3])]);
        yield return new("non-contiguous", [Samples.Transposed(624, 4, 4)]);
    }

    /// <summary>Eigenvalues, then the squares of the eigenvectors' entries (free of their signs).</summary>
    static Tensor EighPacked((Tensor L, Tensor V) eigh) => Packed(eigh.L, eigh.V.Square());

    static double[] EighReferencePacked(double[] a, int n, int _)
    {
        var (values, vectors) = EigenReference(a, n);
        return [.. values, .. vectors.Select(e => e * e)];
    }

    /// <summary>The pieces flattened per matrix and laid end to end: [..., total].</summary>
    static Tensor Packed(Tensor first, params Tensor[] rest)
    {
        int batchRank = first.Rank - 1;   // first is a vector per matrix
        return Tensor.Concat([first, .. rest.Select(t => t.Flatten(batchRank))], -1);
    }

    /// <summary>Q and R scaled so that R's diagonal is positive: the QR that A determines uniquely.</summary>
    static Tensor UniqueQr((Tensor Q, Tensor R) qr)
    {
        var (q, r) = qr;
        var sign = r.Diagonal(0, -2, -1).Sign();
        var qs = q.Narrow(-1, 0, sign.Shape[-1]) * sign.Unsqueeze(-2);
        var rs = r.Narrow(-2, 0, sign.Shape[-1]) * sign.Unsqueeze(-1);
        return Tensor.Concat([qs.Flatten(q.Rank - 2), rs.Flatten(r.Rank - 2)], -1);
    }

    /// <summary>f of every matrix of [..., m, n] (row-major in, a vector out), stacked as [..., len].</summary>
    static RefArray PerMatrix(RefArray a, Func<double[], int, int, double[]> f)
    {
        int rank = a.Shape.Length, m = a.Shape[rank - 2], n = a.Shape[rank - 1];
        int batch = a.Count / (m * n);
        var outs = Enumerable.Range(0, batch).Select(b => f(a.Data[(b * m * n)..((b + 1) * m * n)], m, n)).ToArray();
        return new RefArray(outs.SelectMany(o => o).ToArray(), [.. a.Shape[..^2], outs[0].Length]);
    }

    static RefArray Symmetrized(RefArray a) => Transform(a, (x, m, i, j) => x[i * m + j] + x[j * m + i]);

    static RefArray UpperMirrored(RefArray a) => Transform(a, (x, m, i, j) => i <= j ? x[i * m + j] : x[j * m + i]);

    static RefArray Transform(RefArray a, Func<double[], int, int, int, double> f)
    {
        int m = a.Shape[^1];
        var y = RefArray.Zeros(a.Shape);
        for (int b = 0; b < a.Count / (m * m); b++)
        {
            var x = a.Data[(b * m * m)..((b + 1) * m * m)];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++) y.Data[b * m * m + i * m + j] = f(x, m, i, j);
        }
        return y;
    }

    /// <summary>
    /// QR with R's diagonal positive by modified Gram-Schmidt on the first k = min(m, n) columns (twice, for
    /// orthogonality), R's other columns as Qᵀ·a_j: Q (m×k) then R (k×n), row-major.
    /// </summary>
    static double[] GramSchmidtQr(double[] a, int m, int n)
    {
        int k = Math.Min(m, n);
        var q = new double[m * k];
        var r = new double[k * n];
        for (int j = 0; j < k; j++)
        {
            var v = Enumerable.Range(0, m).Select(i => a[i * n + j]).ToArray();
            for (int pass = 0; pass < 2; pass++)
                for (int p = 0; p < j; p++)
                {
                    double dot = 0;
                    for (int i = 0; i < m; i++) dot += q[i * k + p] * v[i];
                    for (int i = 0; i < m; i++) v[i] -= dot * q[i * k + p];
                }
            double norm = Math.Sqrt(v.Sum(e => e * e));
            for (int i = 0; i < m; i++) q[i * k + j] = v[i] / norm;
        }
        for (int p = 0; p < k; p++)
            for (int j = p; j < n; j++)
                for (int i = 0; i < m; i++) r[p * n + j] += q[i * k + p] * a[i * n + j];
        return [.. q, .. r];
    }

    /// <summary>
    /// Eigenvalues ascending and the eigenvectors (columns, row-major n×n) of a symmetric matrix by classical Jacobi:
    /// each step zeroes the largest off-diagonal element, until all are below 1e-15 of the matrix's norm.
    /// </summary>
    static (double[] Values, double[] Vectors) EigenReference(double[] a0, int n)
    {
        var a = (double[])a0.Clone();
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        double norm = Math.Sqrt(a.Sum(e => e * e));
        for (int step = 0; step < 100 * n * n; step++)
        {
            int p = 0, q = 1;
            double largest = -1;
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    if (Math.Abs(a[i * n + j]) > largest) (largest, p, q) = (Math.Abs(a[i * n + j]), i, j);
            if (largest <= 1e-15 * norm) break;
            // The angle that zeroes a[p, q]: tan 2φ = 2a_pq / (a_qq - a_pp).
            double phi = 0.5 * Math.Atan2(2 * a[p * n + q], a[q * n + q] - a[p * n + p]);
            double c = Math.Cos(phi), s = Math.Sin(phi);
            for (int k = 0; k < n; k++)
            {
                (a[k * n + p], a[k * n + q]) = (c * a[k * n + p] - s * a[k * n + q], s * a[k * n + p] + c * a[k * n + q]);
                (v[k * n + p], v[k * n + q]) = (c * v[k * n + p] - s * v[k * n + q], s * v[k * n + p] + c * v[k * n + q]);
            }
            for (int k = 0; k < n; k++)
                (a[p * n + k], a[q * n + k]) = (c * a[p * n + k] - s * a[q * n + k], s * a[p * n + k] + c * a[q * n + k]);
        }
        var order = Enumerable.Range(0, n).OrderBy(i => a[i * n + i]).ToArray();
        var vectors = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++) vectors[i * n + k] = v[i * n + order[k]];
        return (order.Select(i => a[i * n + i]).ToArray(), vectors);
    }

    /// <summary>
    /// S descending, then U∘U (m×k) and Vh∘Vh (k×n): from the eigen-decomposition of AᵀA (tall) or AAᵀ (wide), the
    /// other side's vectors as A·v/σ (Aᵀ·u/σ).
    /// </summary>
    static double[] SvdReference(double[] a, int m, int n)
    {
        int k = Math.Min(m, n);
        bool tall = m >= n;
        int small = tall ? n : m, big = tall ? m : n;
        double At(int i, int j) => tall ? a[i * n + j] : a[j * n + i];   // the tall matrix (A or Aᵀ), big×small
        var gram = new double[small * small];
        for (int i = 0; i < small; i++)
            for (int j = 0; j < small; j++)
                for (int r = 0; r < big; r++) gram[i * small + j] += At(r, i) * At(r, j);
        var (values, vectors) = EigenReference(gram, small);
        var s = values.Reverse().Select(e => Math.Sqrt(Math.Max(e, 0))).ToArray();
        var near = new double[small * k];   // the small side's vectors, descending, as columns
        var far = new double[big * k];
        for (int c = 0; c < k; c++)
            for (int i = 0; i < small; i++) near[i * k + c] = vectors[i * small + (small - 1 - c)];
        for (int c = 0; c < k; c++)
            for (int r = 0; r < big; r++)
            {
                double sum = 0;
                for (int i = 0; i < small; i++) sum += At(r, i) * near[i * k + c];
                far[r * k + c] = sum / s[c];
            }
        var (u, v) = tall ? (far, near) : (near, far);   // U is m×k, V is n×k (column c = vector c)
        var vh = new double[k * n];
        for (int c = 0; c < k; c++)
            for (int j = 0; j < n; j++) vh[c * n + j] = v[j * k + c];
        return [.. s, .. u.Select(e => e * e), .. vh.Select(e => e * e)];
    }
}
