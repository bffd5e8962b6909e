namespace Nabla.Backends.Reference;

/// <summary>
/// QR by Householder reflections in double precision, with LAPACK's reflector convention (dgeqrf/dlarfg), so R's
/// diagonal has LAPACK's (and PyTorch's) signs: each reflector sends its column to -sign(a_jj)·‖column‖, and a column
/// with nothing below the diagonal is left as it is (no reflection, so its diagonal keeps its sign). Shared by the
/// reference backend and the CPU kernel (the CPU computes decompositions in double).
/// </summary>
internal static class HouseholderQr
{
    /// <summary>
    /// Factors the row-major m×n matrix <paramref name="a"/>. <paramref name="q"/> receives the m×qCols matrix
    /// H₀H₁…H_{k-1}·I[:, :qCols] (qCols = 0 computes no Q); <paramref name="r"/> the first rRows rows of the reduced
    /// matrix (rRows = min(m, n) or m; rows below min(m, n) are zero).
    /// </summary>
    public static void Decompose(ReadOnlySpan<double> a, int m, int n, Span<double> q, int qCols, Span<double> r, int rRows)
    {
        int k = Math.Min(m, n);
        var w = a[..(m * n)].ToArray();
        var v = new double[k * m];   // reflector j's vector in v[j*m + j .. j*m + m), v_j = 1
        var tau = new double[k];
        for (int j = 0; j < k; j++)
        {
            double alpha = w[j * n + j], below = 0;
            for (int i = j + 1; i < m; i++) below = Hypot(below, w[i * n + j]);
            if (below == 0) continue;   // tau = 0: H = I (dlarfg), the diagonal keeps its sign
            double beta = -Math.CopySign(Hypot(alpha, below), alpha);
            tau[j] = (beta - alpha) / beta;
            double scale = 1 / (alpha - beta);
            v[j * m + j] = 1;
            for (int i = j + 1; i < m; i++)
            {
                v[j * m + i] = w[i * n + j] * scale;
                w[i * n + j] = 0;
            }
            w[j * n + j] = beta;
            Reflect(v.AsSpan(j * m, m), tau[j], j, w, n, j + 1);
        }
        for (int i = 0; i < rRows; i++)
            for (int c = 0; c < n; c++) r[i * n + c] = i < m ? w[i * n + c] : 0;
        if (qCols == 0) return;
        var qw = new double[m * qCols];
        for (int i = 0; i < Math.Min(m, qCols); i++) qw[i * qCols + i] = 1;
        for (int j = k - 1; j >= 0; j--)
            if (tau[j] != 0) Reflect(v.AsSpan(j * m, m), tau[j], j, qw, qCols, 0);
        qw.CopyTo(q);
    }

    /// <summary>Rows j.. of the row-major matrix <paramref name="x"/> (columns from <paramref name="fromCol"/>) times H = I - τvvᵀ.</summary>
    static void Reflect(ReadOnlySpan<double> v, double tau, int j, double[] x, int cols, int fromCol)
    {
        int m = v.Length;
        for (int c = fromCol; c < cols; c++)
        {
            double dot = 0;
            for (int i = j; i < m; i++) dot += v[i] * x[i * cols + c];
            dot *= tau;
            if (dot == 0) continue;
            for (int i = j; i < m; i++) x[i * cols + c] -= dot * v[i];
        }
    }

    /// <summary>√(a² + b²) without overflow or underflow.</summary>
    static double Hypot(double a, double b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        double big = Math.Max(a, b), small = Math.Min(a, b);
        if (big == 0 || double.IsInfinity(big)) return big + small;
        double ratio = small / big;
        return big * Math.Sqrt(1 + ratio * ratio);
    }
}
