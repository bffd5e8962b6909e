namespace Nabla.Primitives.Linalg;

/// <summary>Shared pieces of the eigh and SVD rules, written with the differentiable Tensor API.</summary>
internal static class Gaps
{
    /// <summary>
    /// F with F_ij = 1/(λ_j − λ_i), for [..., n] values λ (eigenvalues, or squared singular values), and 0 where
    /// λ_j = λ_i exactly (the diagonal, and repeated values). At repeated values the vectors' derivatives do not exist
    /// (PyTorch's rules give inf/NaN there); dropping those terms keeps a cotangent of 0 for the vectors from turning into
    /// NaN (0·∞), so the values' derivatives stay finite whatever else was asked. Near-repeated values still give huge F.
    /// </summary>
    public static Tensor Inverse(Tensor values)
    {
        var gaps = values.Unsqueeze(-2) - values.Unsqueeze(-1);
        return SafeReciprocal(gaps);
    }

    /// <summary>1/x where x ≠ 0, else 0; the inner Where keeps the derivative of the unused branch finite too.</summary>
    public static Tensor SafeReciprocal(Tensor x)
    {
        var zero = x.Eq(0.0);
        var safe = Tensor.Where(zero, Tensor.OnesLike(x), x);
        return Tensor.Where(zero, Tensor.ZerosLike(x), safe.Reciprocal());
    }

    /// <summary>(x + xᵀ)/2 over the last two dims.</summary>
    public static Tensor Symmetric(Tensor x) => (x + x.T) * 0.5;

    /// <summary>Matrices with <paramref name="vector"/> on the diagonal: [..., n] → [..., n, n].</summary>
    public static Tensor Diagonal(Tensor vector) => vector.DiagEmbed();

    /// <summary>The diagonals of [..., n, n] matrices: [..., n].</summary>
    public static Tensor DiagonalOf(Tensor matrix) => matrix.Diagonal(0, -2, -1);
}
