namespace Nabla.Primitives.Linalg;

/// <summary>
/// The dense factorizations behind the linalg primitives, on one row-major n×n matrix of doubles: LU with
/// partial pivoting, Cholesky, triangular and LU solves, the adjugate. Plain loops (the matrices are small in
/// practice). The primitives' <c>Reference</c> and the CPU kernels both run these (float32 computes in double),
/// so what they mean is written once; the OpDb entries check them against references of their own.
/// </summary>
internal static class DenseMatrix
{
    /// <summary>
    /// LU with partial pivoting in place: afterwards <paramref name="a"/> holds U on and above the diagonal and
    /// L's multipliers below it (L has a unit diagonal), and row i of L·U is row <paramref name="perm"/>[i] of the
    /// input. The pivot is the first largest |a[i, k]| (a NaN counts as largest, so it spreads instead of looking
    /// singular). A zero pivot column is skipped; the result is then the 1-based index of the first one (LAPACK's
    /// info), else 0. <paramref name="sign"/> is the permutation's sign.
    /// </summary>
    public static int LuFactor(Span<double> a, int n, Span<int> perm, out int sign)
    {
        sign = 1;
        int info = 0;
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int k = 0; k < n; k++)
        {
            int p = k;
            for (int i = k + 1; i < n; i++)
            {
                double v = Math.Abs(a[i * n + k]), best = Math.Abs(a[p * n + k]);
                if (v > best || (double.IsNaN(v) && !double.IsNaN(best))) p = i;
            }
            if (a[p * n + k] == 0)
            {
                if (info == 0) info = k + 1;
                continue;
            }
            if (p != k)
            {
                for (int j = 0; j < n; j++) (a[k * n + j], a[p * n + j]) = (a[p * n + j], a[k * n + j]);
                (perm[k], perm[p]) = (perm[p], perm[k]);
                sign = -sign;
            }
            double pivot = a[k * n + k];
            for (int i = k + 1; i < n; i++)
            {
                double f = a[i * n + k] / pivot;
                a[i * n + k] = f;
                if (f == 0) continue;
                for (int j = k + 1; j < n; j++) a[i * n + j] -= f * a[k * n + j];
            }
        }
        return info;
    }

    /// <summary>
    /// x = A⁻¹·b for the m columns of the row-major n×m <paramref name="b"/>, given <see cref="LuFactor"/>'s
    /// result: permute, then the unit-lower and upper triangular solves. A zero pivot gives inf/NaN.
    /// </summary>
    public static void LuSolve(ReadOnlySpan<double> lu, int n, ReadOnlySpan<int> perm, ReadOnlySpan<double> b, Span<double> x, int m)
    {
        for (int i = 0; i < n; i++) b.Slice(perm[i] * m, m).CopyTo(x.Slice(i * m, m));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double f = lu[i * n + j];
                if (f != 0) for (int c = 0; c < m; c++) x[i * m + c] -= f * x[j * m + c];
            }
        for (int i = n - 1; i >= 0; i--)
        {
            for (int j = i + 1; j < n; j++)
            {
                double f = lu[i * n + j];
                if (f != 0) for (int c = 0; c < m; c++) x[i * m + c] -= f * x[j * m + c];
            }
            double d = lu[i * n + i];
            for (int c = 0; c < m; c++) x[i * m + c] /= d;
        }
    }

    /// <summary>det = sign · Π u_ii from <see cref="LuFactor"/>'s result (0 when a pivot was zero).</summary>
    public static double LuDet(ReadOnlySpan<double> lu, int n, int sign)
    {
        double det = sign;
        for (int i = 0; i < n; i++) det *= lu[i * n + i];
        return det;
    }

    /// <summary>(sign, log|det|) from <see cref="LuFactor"/>'s result: (0, -inf) for a singular matrix, as torch.linalg.slogdet.</summary>
    public static (double Sign, double LogAbs) LuSlogDet(ReadOnlySpan<double> lu, int n, int sign)
    {
        double s = sign, log = 0;
        for (int i = 0; i < n; i++)
        {
            double u = lu[i * n + i];
            if (u == 0) return (0, double.NegativeInfinity);
            if (double.IsNaN(u)) return (double.NaN, double.NaN);
            if (u < 0) s = -s;
            log += Math.Log(Math.Abs(u));
        }
        return (s, log);
    }

    /// <summary>det(a) of a row-major n×n matrix (a is left as it was).</summary>
    public static double Det(ReadOnlySpan<double> a, int n)
    {
        var lu = a.ToArray();
        var perm = new int[n];
        LuFactor(lu, n, perm, out int sign);
        return LuDet(lu, n, sign);
    }

    /// <summary>
    /// adj(a), the transpose of the cofactor matrix (det(a)·a⁻¹ when a is invertible): the gradient of det is
    /// adj(a)ᵀ. For an invertible a, det·a⁻¹ from one LU; when a pivot is zero, every cofactor as the determinant
    /// of its minor (O(n⁵), only for singular input): for rank n-1 that is the non-zero adjugate PyTorch's
    /// det gradient gives, for lower ranks zero.
    /// </summary>
    public static void Adjugate(ReadOnlySpan<double> a, int n, Span<double> adj)
    {
        if (n == 0) return;
        var lu = a.ToArray();
        var perm = new int[n];
        int info = LuFactor(lu, n, perm, out int sign);
        if (info == 0)
        {
            var eye = new double[n * n];
            for (int i = 0; i < n; i++) eye[i * n + i] = 1;
            LuSolve(lu, n, perm, eye, adj, n);
            double det = LuDet(lu, n, sign);
            for (int i = 0; i < n * n; i++) adj[i] *= det;
            return;
        }
        var minor = new double[(n - 1) * (n - 1)];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                // adj[i, j] = (-1)^(i+j) det(a without row j and column i)
                int w = 0;
                for (int r = 0; r < n; r++)
                    if (r != j)
                        for (int c = 0; c < n; c++)
                            if (c != i) minor[w++] = a[r * n + c];
                adj[i * n + j] = ((i + j) % 2 == 0 ? 1 : -1) * Det(minor, n - 1);
            }
    }

    /// <summary>
    /// Cholesky a = L·Lᵀ from a's lower triangle (its upper triangle is not read) into <paramref name="l"/>
    /// (zeros above the diagonal). Returns 0, or the 1-based order of the first leading minor that is not
    /// positive-definite (LAPACK's info; NaN counts as not positive), as torch.linalg.cholesky reports.
    /// </summary>
    public static int Cholesky(ReadOnlySpan<double> a, int n, Span<double> l)
    {
        l[..(n * n)].Clear();
        for (int j = 0; j < n; j++)
        {
            double s = a[j * n + j];
            for (int k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
            if (!(s > 0)) return j + 1;
            double d = Math.Sqrt(s);
            l[j * n + j] = d;
            for (int i = j + 1; i < n; i++)
            {
                double t = a[i * n + j];
                for (int k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = t / d;
            }
        }
        return 0;
    }

    /// <summary>
    /// x = A⁻¹·b in place for the m columns of the row-major n×m <paramref name="b"/>, reading only A's upper
    /// (or lower) triangle; <paramref name="unit"/> takes the diagonal as ones without reading it. No
    /// singularity check (as torch.linalg.solve_triangular): a zero diagonal gives inf/NaN.
    /// </summary>
    public static void TriangularSolve(ReadOnlySpan<double> a, int n, Span<double> b, int m, bool upper, bool unit)
    {
        for (int step = 0; step < n; step++)
        {
            int i = upper ? n - 1 - step : step;
            int from = upper ? i + 1 : 0, to = upper ? n : i;
            for (int j = from; j < to; j++)
            {
                double f = a[i * n + j];
                if (f != 0) for (int c = 0; c < m; c++) b[i * m + c] -= f * b[j * m + c];
            }
            if (!unit)
            {
                double d = a[i * n + i];
                for (int c = 0; c < m; c++) b[i * m + c] /= d;
            }
        }
    }
}
