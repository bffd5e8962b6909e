namespace Nabla.Backends.Reference;

/// <summary>Completes orthonormal columns to a larger orthonormal set (the free vectors of an SVD).</summary>
internal static class OrthonormalBasis
{
    /// <summary>
    /// Columns 0..<paramref name="have"/> of the column-major <paramref name="columns"/> (each of length
    /// <paramref name="rows"/>) are orthonormal and stay; columns have..<paramref name="want"/> are overwritten with
    /// unit vectors orthogonal to all before them. Each is the standard basis vector that sticks out furthest from the
    /// span so far, projected out twice (Gram-Schmidt with reorthogonalization), so the choice is deterministic.
    /// </summary>
    public static void Complete(double[] columns, int rows, int have, int want)
    {
        var residual = new double[rows];
        for (int k = have; k < want; k++)
        {
            int best = 0;
            double bestNorm = -1;
            for (int i = 0; i < rows; i++)
            {
                // |e_i - P e_i|² = 1 - Σ_c column_c[i]²
                double inSpan = 0;
                for (int c = 0; c < k; c++) inSpan += columns[c * rows + i] * columns[c * rows + i];
                if (1 - inSpan > bestNorm + 1e-12)
                {
                    bestNorm = 1 - inSpan;
                    best = i;
                }
            }
            Array.Clear(residual);
            residual[best] = 1;
            for (int pass = 0; pass < 2; pass++)
                for (int c = 0; c < k; c++)
                {
                    var col = columns.AsSpan(c * rows, rows);
                    double dot = 0;
                    for (int i = 0; i < rows; i++) dot += col[i] * residual[i];
                    for (int i = 0; i < rows; i++) residual[i] -= dot * col[i];
                }
            double norm = 0;
            foreach (var e in residual) norm += e * e;
            norm = Math.Sqrt(norm);
            for (int i = 0; i < rows; i++) columns[k * rows + i] = residual[i] / norm;
        }
    }
}
