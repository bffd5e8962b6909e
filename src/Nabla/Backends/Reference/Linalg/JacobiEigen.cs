namespace Nabla.Backends.Reference;

/// <summary>
/// Eigenvalues and eigenvectors of a real symmetric matrix by the cyclic Jacobi method in double precision: plane
/// rotations zero each off-diagonal element in turn until every one is negligible next to its two diagonal elements
/// (the relative criterion that makes Jacobi accurate to a few ulps of ‖A‖, ~1e-15, on every eigenvalue). Shared by the
/// reference backend and the CPU kernel.
/// </summary>
internal static class JacobiEigen
{
    const int MaxSweeps = 100;   // quadratic convergence: ~6-12 sweeps in practice

    /// <summary>
    /// The eigen-decomposition of the symmetric n×n matrix whose lower (or upper) triangle is in the row-major
    /// <paramref name="a"/> (the other triangle is not read, as LAPACK's syevd): eigenvalues ascending into
    /// <paramref name="values"/>, the unit eigenvectors as the columns of the row-major <paramref name="vectors"/>.
    /// </summary>
    public static void Decompose(ReadOnlySpan<double> a, int n, bool upper, Span<double> values, Span<double> vectors)
    {
        var s = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                s[i * n + j] = s[j * n + i] = upper ? a[j * n + i] : a[i * n + j];
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                    rotated |= Rotate(s, v, n, p, q);
            if (!rotated) break;
        }
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var diagonal = new double[n];
        for (int i = 0; i < n; i++) diagonal[i] = s[i * n + i];
        // Ascending (NaN last), equal values by position, so the order is deterministic.
        Array.Sort(order, (x, y) => diagonal[x].CompareTo(diagonal[y]) is var c && c != 0 ? c : x.CompareTo(y));
        for (int k = 0; k < n; k++)
        {
            values[k] = diagonal[order[k]];
            for (int i = 0; i < n; i++) vectors[i * n + k] = v[i * n + order[k]];
        }
    }

    /// <summary>Zeroes s[p,q] by a rotation in the (p, q) plane when it is not negligible; true if it rotated.</summary>
    static bool Rotate(double[] s, double[] v, int n, int p, int q)
    {
        double apq = s[p * n + q], app = s[p * n + p], aqq = s[q * n + q];
        // Negligible: below half an ulp of both diagonal elements' geometric mean (then the rotation changes nothing), or
        // zero (NaN compares false: a NaN matrix stops at once and gives NaN).
        if (!(Math.Abs(apq) > 1.1e-16 * Math.Sqrt(Math.Abs(app * aqq))) || apq == 0) return false;
        double theta = (aqq - app) / (2 * apq);
        double t = (theta >= 0 ? 1 : -1) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        if (double.IsInfinity(theta)) t = 1 / (2 * theta);   // θ² overflows: t ≈ 1/(2θ)
        double c = 1 / Math.Sqrt(t * t + 1), sn = t * c;
        for (int k = 0; k < n; k++)
        {
            // Columns p and q, then rows p and q (s stays symmetric).
            double skp = s[k * n + p], skq = s[k * n + q];
            s[k * n + p] = c * skp - sn * skq;
            s[k * n + q] = sn * skp + c * skq;
        }
        for (int k = 0; k < n; k++)
        {
            double spk = s[p * n + k], sqk = s[q * n + k];
            s[p * n + k] = c * spk - sn * sqk;
            s[q * n + k] = sn * spk + c * sqk;
        }
        s[p * n + q] = s[q * n + p] = 0;
        for (int k = 0; k < n; k++)
        {
            double vkp = v[k * n + p], vkq = v[k * n + q];
            v[k * n + p] = c * vkp - sn * vkq;
            v[k * n + q] = sn * vkp + c * vkq;
        }
        return true;
    }
}
