using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// Eigenvalues (ascending) and eigenvectors of a batch of symmetric n×n matrices, from the lower (or upper) triangle, by
/// cyclic Jacobi (<see cref="JacobiEigen"/>); the output packs L then V (<see cref="Piece"/>). PyTorch's rules (real
/// case), with P = Vᵀ·sym(dA)·V and F_ij = 1/(λ_j − λ_i) off the diagonal (<see cref="Gaps.Inverse"/>):
///   dL = diag(P) ; dV = V·(F ∘ P) ;  gA = V·(diag(gL) + F ∘ skew(Vᵀ·gV))·Vᵀ.
/// As PyTorch, gA is symmetric: the derivative for a perturbation that moves both triangles together (the forward rule
/// symmetrizes dA to match). Where eigenvalues are exactly equal the vectors' derivatives do not exist: F's terms for
/// those pairs are taken as 0 (<see cref="Gaps.Inverse"/>; PyTorch gives inf/NaN), so the eigenvalues' derivatives
/// (gV = 0: gA = V·diag(gL)·Vᵀ) stay finite and exact there.
/// </summary>
internal sealed class Eigh(int n, bool upper) : Primitive
{
    public override string Name => "linalg_eigh";
    public override string GradName => "LinalgEighBackward";
    public override bool MayFailInReplay => false;
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    /// <summary>L's and V's shapes in the packed output.</summary>
    public Piece[] Pieces => [Piece.Vector(n), new(n, n)];

    /// <summary>Decomposes one row-major n×n matrix into its packed eigenvalues and eigenvectors.</summary>
    public void Factor(ReadOnlySpan<double> a, Span<double> packed) => JacobiEigen.Decompose(a, n, upper, packed[..n], packed[n..]);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var (l, v) = Split(y);
        var (gl, gv) = Split(gy);
        var vg = v.T.MatMul(gv);
        var inner = (vg - vg.T) * 0.5 * Gaps.Inverse(l) + Gaps.Diagonal(gl);
        return [v.MatMul(inner).MatMul(v.T)];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is not { } da) return null;
        var (l, v) = Split(y);
        var p = v.T.MatMul(Gaps.Symmetric(da)).MatMul(v);
        return Piece.Join(y.Shape.ToArray()[..^1], Pieces, Gaps.DiagonalOf(p), v.MatMul(p * Gaps.Inverse(l)));
    }

    (Tensor L, Tensor V) Split(Tensor packed)
    {
        var parts = Piece.Split(packed, Pieces);
        return (parts[0], parts[1]);
    }

    public override RefArray Reference(RefArray[] x) => MatrixBatches.Reference(x[0], [Piece.Total(Pieces)], Factor);
}
