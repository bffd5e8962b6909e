namespace Nabla.Backends.Reference;

/// <summary>
/// The singular value decomposition by one-sided (Hestenes) Jacobi in double precision: plane rotations applied to the
/// columns of A (of Aᵀ when A is wide) until every pair is orthogonal to working precision; the column norms are then the
/// singular values, the normalized columns the left singular vectors and the accumulated rotations the right ones. It
/// computes small singular values to high relative accuracy. Shared by the reference backend and the CPU kernel.
/// </summary>
internal static class JacobiSvd
{
    const int MaxSweeps = 100;
    const double Tolerance = 2.3e-16;   // about one ulp: columns whose cosine is below it count as orthogonal

    /// <summary>
    /// A = U·diag(S)·Vh for the row-major m×n <paramref name="a"/>, k = min(m, n): S descending into <paramref name="s"/>,
    /// U (m×m when <paramref name="full"/>, else m×k) and Vh (n×n or k×n) row-major. Vectors of zero singular values,
    /// and the extra ones of the full form, complete the others to an orthonormal basis.
    /// </summary>
    public static void Decompose(ReadOnlySpan<double> a, int m, int n, bool full, Span<double> u, Span<double> s, Span<double> vh)
    {
        int uCols = full ? m : Math.Min(m, n), vRows = full ? n : Math.Min(m, n);
        if (m >= n)
        {
            var (left, right) = Tall(a, m, n, transposed: false, s);
            Write(left, m, uCols, u, transpose: false);
            Write(right, n, vRows, vh, transpose: true);
        }
        else
        {
            // A = (Aᵀ)ᵀ = (U'SV'ᵀ)ᵀ = V'·S·U'ᵀ
            var (left, right) = Tall(a, n, m, transposed: true, s);
            Write(right, m, uCols, u, transpose: false);
            Write(left, n, vRows, vh, transpose: true);
        }
    }

    /// <summary>
    /// One-sided Jacobi on the tall rows×cols matrix (A, or Aᵀ when <paramref name="transposed"/>): the orthonormal columns
    /// (column-major, cols of them, completed where a singular value is 0) and the cols×cols rotations (column-major).
    /// </summary>
    static (double[] Left, double[] Right) Tall(ReadOnlySpan<double> a, int rows, int cols, bool transposed, Span<double> s)
    {
        var w = new double[rows * cols];   // column c is w[c*rows .. (c+1)*rows)
        for (int c = 0; c < cols; c++)
            for (int r = 0; r < rows; r++) w[c * rows + r] = transposed ? a[c * rows + r] : a[r * cols + c];
        var v = new double[cols * cols];
        for (int c = 0; c < cols; c++) v[c * cols + c] = 1;
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < cols - 1; p++)
                for (int q = p + 1; q < cols; q++)
                    rotated |= Orthogonalize(w, v, rows, cols, p, q);
            if (!rotated) break;
        }
        var norms = new double[cols];
        for (int c = 0; c < cols; c++) norms[c] = Norm(w.AsSpan(c * rows, rows));
        var order = new int[cols];
        for (int c = 0; c < cols; c++) order[c] = c;
        // Descending (NaN last), equal values by position, so the order is deterministic.
        Array.Sort(order, (x, y) => norms[y].CompareTo(norms[x]) is var d && d != 0 ? d : x.CompareTo(y));
        var left = new double[rows * cols];
        var right = new double[cols * cols];
        double largest = cols > 0 ? norms[order[0]] : 0;
        int kept = 0;
        for (int k = 0; k < cols; k++)
        {
            int c = order[k];
            s[k] = norms[c];
            v.AsSpan(c * cols, cols).CopyTo(right.AsSpan(k * cols));
            // A column that is (numerically) zero has no direction of its own: it is completed below.
            if (norms[c] > largest * rows * 1e-15 && norms[c] > 0 || double.IsNaN(largest))
            {
                for (int r = 0; r < rows; r++) left[k * rows + r] = w[c * rows + r] / norms[c];
                kept++;
            }
        }
        OrthonormalBasis.Complete(left, rows, kept, cols);
        return (left, right);
    }

    /// <summary>Rotates columns p and q of w (and of v) so that they are orthogonal; false if they already were.</summary>
    static bool Orthogonalize(double[] w, double[] v, int rows, int cols, int p, int q)
    {
        var wp = w.AsSpan(p * rows, rows);
        var wq = w.AsSpan(q * rows, rows);
        double alpha = 0, beta = 0, gamma = 0;
        for (int r = 0; r < rows; r++)
        {
            alpha += wp[r] * wp[r];
            beta += wq[r] * wq[r];
            gamma += wp[r] * wq[r];
        }
        if (!(Math.Abs(gamma) > Tolerance * Math.Sqrt(alpha * beta)) || gamma == 0) return false;
        double zeta = (beta - alpha) / (2 * gamma);
        double t = (zeta >= 0 ? 1 : -1) / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
        if (double.IsInfinity(zeta * zeta)) t = 1 / (2 * zeta);
        double c = 1 / Math.Sqrt(1 + t * t), sn = c * t;
        Rotate(wp, wq, c, sn);
        Rotate(v.AsSpan(p * cols, cols), v.AsSpan(q * cols, cols), c, sn);
        return true;
    }

    static void Rotate(Span<double> x, Span<double> y, double c, double s)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i], yi = y[i];
            x[i] = c * xi - s * yi;
            y[i] = s * xi + c * yi;
        }
    }

    static double Norm(ReadOnlySpan<double> x)
    {
        double scale = 0;
        foreach (var e in x) scale = Math.Max(scale, Math.Abs(e));
        if (scale == 0 || !double.IsFinite(scale)) return double.IsNaN(scale) || x.Contains(double.NaN) ? double.NaN : scale;
        double sum = 0;
        foreach (var e in x) sum += e / scale * (e / scale);
        return scale * Math.Sqrt(sum);
    }

    /// <summary>
    /// Writes the first <paramref name="count"/> of the column-major columns (completed to that many) as a row-major
    /// rows×count matrix, or as its count×rows transpose.
    /// </summary>
    static void Write(double[] columns, int rows, int count, Span<double> dst, bool transpose)
    {
        int have = columns.Length / Math.Max(rows, 1);
        if (count > have)
        {
            var grown = new double[rows * count];
            columns.CopyTo(grown, 0);
            OrthonormalBasis.Complete(grown, rows, have, count);
            columns = grown;
        }
        for (int c = 0; c < count; c++)
            for (int r = 0; r < rows; r++)
                dst[transpose ? c * rows + r : r * count + c] = columns[c * rows + r];
    }
}
