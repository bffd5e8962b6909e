using Nabla.Engine;
using Nabla.Primitives.Linalg;

namespace Nabla;

public static partial class Linalg
{
    /// <summary>
    /// The QR decomposition A = Q·R of a matrix or a batch of them [..., m, n] (torch.linalg.qr), k = min(m, n): Q has
    /// orthonormal columns (m×k, or m×m with <see cref="QrMode.Complete"/>), R is upper triangular (k×n, or m×n).
    /// <see cref="QrMode.R"/> computes R only and returns an empty Q (shape [0]). Householder reflections with LAPACK's
    /// signs, so the numbers are PyTorch's (CPU): R's diagonal is −sign(a)·‖column‖ at each step (often negative; a
    /// column with nothing below the diagonal to reflect keeps its sign). Computed in float64 for float32 input too.
    /// Differentiable (forward and reverse mode, any order) for <see cref="QrMode.Reduced"/>, and for
    /// <see cref="QrMode.Complete"/> when m ≤ n (then the same factors); a rank-deficient A gives infinite or NaN
    /// derivatives, as PyTorch. Needs a floating tensor; NaN in a matrix gives NaN in its factors.
    /// </summary>
    /// <example><code>
    /// var (q, r) = Linalg.Qr(Tensor.FromArray(new double[,] { { 12, -51, 4 }, { 6, 167, -68 }, { -4, 24, -41 } }));
    /// // r = [[-14, -21, 14], [0, -175, 70], [0, 0, -35]], q·r = A
    /// </code></example>
    public static (Tensor Q, Tensor R) Qr(Tensor a, QrMode mode = QrMode.Reduced)
    {
        const string op = "Qr";
        CheckMatrices(op, a);
        if (!Enum.IsDefined(mode)) throw Errors.Arg(op, $"{(int)mode} is not a QrMode.");
        var prim = new Qr(mode, a.Shape[-2], a.Shape[-1]);
        var parts = Piece.Split(Dispatch.Call(prim, a), prim.Pieces);
        return (mode == QrMode.R ? Tensor.Zeros([0], a.DType, device: a.Device) : parts[0], parts[1]);
    }

    /// <summary>
    /// The eigenvalues (ascending) and unit eigenvectors (the columns of the second result) of a symmetric matrix or a
    /// batch of them [..., n, n] (torch.linalg.eigh): A = V·diag(L)·Vᵀ. Only the lower triangle is read (the upper one
    /// with <paramref name="upper"/>, PyTorch's UPLO="U"). Cyclic Jacobi in float64 (float32 input too): eigenvalues
    /// accurate to about 1e-15·‖A‖. Each eigenvector's sign is arbitrary (deterministic here), as in PyTorch.
    /// Differentiable with PyTorch's rules: the gradient is symmetric (a perturbation is taken to move both triangles
    /// together). Where eigenvalues are exactly equal the eigenvectors have no derivative: PyTorch gives inf/NaN, Nabla
    /// drops the terms of those pairs (treats 1/(λ_j − λ_i) as 0), so the eigenvalues' derivatives stay finite and exact;
    /// eigenvalues that are close but not equal give huge eigenvector derivatives, as in PyTorch. Needs a floating tensor.
    /// </summary>
    /// <example><code>
    /// var (l, v) = Linalg.Eigh(Tensor.FromArray(new double[,] { { 2, 1 }, { 1, 2 } }));   // l = [1, 3]
    /// </code></example>
    public static (Tensor Eigenvalues, Tensor Eigenvectors) Eigh(Tensor a, bool upper = false)
    {
        var parts = EighPacked("Eigh", a, upper);
        return (parts[0], parts[1]);
    }

    /// <summary>
    /// The eigenvalues (ascending) of a symmetric matrix or batch [..., n, n] (torch.linalg.eigvalsh); see
    /// <see cref="Eigh"/>. Its gradient is V·diag(gL)·Vᵀ, finite even where eigenvalues repeat.
    /// </summary>
    public static Tensor EigvalsH(Tensor a, bool upper = false) => EighPacked("EigvalsH", a, upper)[0];

    static Tensor[] EighPacked(string op, Tensor a, bool upper)
    {
        CheckMatrices(op, a);
        if (a.Shape[-1] != a.Shape[-2])
            throw Errors.Arg(op, $"needs square matrices, got {Errors.Describe(a)}.");
        var prim = new Eigh(a.Shape[-1], upper);
        return Piece.Split(Dispatch.Call(prim, a), prim.Pieces);
    }

    /// <summary>
    /// The singular value decomposition A = U·diag(S)·Vh of a matrix or batch [..., m, n] (torch.linalg.svd), k = min(m, n):
    /// S descending and non-negative; with <paramref name="fullMatrices"/> (the default, as PyTorch) U is m×m and Vh n×n,
    /// else U is m×k and Vh k×n. One-sided Jacobi in float64 (float32 input too), accurate to about 1e-15·‖A‖ and small
    /// singular values to high relative accuracy. Each pair (u_i, v_i) is determined only up to a common sign (and the
    /// extra columns of the full form, and vectors of repeated or zero singular values, only up to a basis of their
    /// space). Differentiable with PyTorch's rules for functions that do not depend on those choices. Where singular values
    /// are exactly equal, or (m ≠ n) one is 0, U and Vh have no derivative: PyTorch gives inf/NaN, Nabla drops those terms
    /// (treats 1/(σ_j² − σ_i²) and 1/σ as 0), so the singular values' derivatives stay finite and exact; close but unequal
    /// values give huge derivatives of U and Vh, as in PyTorch. The full form's extra vectors are not differentiated (their
    /// gradients are ignored, as PyTorch, and their tangents are 0). <see cref="SvdVals"/>'s gradient is U·diag(gS)·Vh.
    /// Needs a floating tensor.
    /// </summary>
    /// <example><code>
    /// var (u, s, vh) = Linalg.Svd(Tensor.FromArray(new double[,] { { 3, 0 }, { 4, 5 } }));   // s = [√45, √5]
    /// </code></example>
    public static (Tensor U, Tensor S, Tensor Vh) Svd(Tensor a, bool fullMatrices = true)
    {
        var parts = SvdPacked("Svd", a, fullMatrices);
        return (parts[0], parts[1], parts[2]);
    }

    /// <summary>The singular values (descending) of a matrix or batch [..., m, n] (torch.linalg.svdvals); see <see cref="Svd"/>.</summary>
    public static Tensor SvdVals(Tensor a) => SvdPacked("SvdVals", a, full: false)[1];

    static Tensor[] SvdPacked(string op, Tensor a, bool full)
    {
        CheckMatrices(op, a);
        var prim = new Svd(a.Shape[-2], a.Shape[-1], full);
        return Piece.Split(Dispatch.Call(prim, a), prim.Pieces);
    }

    /// <summary>A floating tensor of 2 or more dims (a matrix or a batch of them), as torch.linalg requires.</summary>
    static void CheckMatrices(string op, Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (a.Rank < 2)
            throw Errors.Arg(op, $"needs a matrix or a batch of them (2 or more dims), got {Errors.Describe(a)}.");
        if (!a.DType.IsFloating())
            throw Errors.Arg(op, $"needs a floating tensor (float32 or float64), got {Errors.Describe(a)}; convert with To(DType.Float64) first.");
    }
}
