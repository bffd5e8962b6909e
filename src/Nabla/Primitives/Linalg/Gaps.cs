namespace Nabla.Primitives.Linalg;

/// <summary>Shared pieces of the eigh and SVD rules, written with the differentiable Tensor API.</summary>
internal static class Gaps
{
    /// <summary>
    /// F with F_ij = 1/(λ_j − λ_i) off the diagonal and 0 on it, for [..., n] values λ (eigenvalues, or squared singular
    /// values). Repeated values give infinities: the derivatives of the vectors do not exist there (PyTorch's caveat).
    /// </summary>
    public static Tensor Inverse(Tensor values)
    {
        int n = values.Shape[-1];
        var eye = Tensor.Eye(n, values.DType, values.Device);
        var gaps = values.Unsqueeze(-2) - values.Unsqueeze(-1);
        return (gaps + eye).Reciprocal() * (1 - eye);   // the diagonal divides by 1, then is zeroed
    }

    /// <summary>(x + xᵀ)/2 over the last two dims.</summary>
    public static Tensor Symmetric(Tensor x) => (x + x.T) * 0.5;

    /// <summary>Matrices with <paramref name="vector"/> on the diagonal: [..., n] → [..., n, n].</summary>
    public static Tensor Diagonal(Tensor vector) => vector.DiagEmbed();

    /// <summary>The diagonals of [..., n, n] matrices: [..., n].</summary>
    public static Tensor DiagonalOf(Tensor matrix) => matrix.Diagonal(0, -2, -1);
}
