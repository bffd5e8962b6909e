using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// A = U·diag(S)·Vh for a batch of m×n matrices by one-sided Jacobi (<see cref="JacobiSvd"/>), k = min(m, n), S
/// descending; the output packs U, S, Vh (<see cref="Piece"/>). Rules (PyTorch's svd_backward and svd_jvp, real case,
/// derived from A = USVᵀ), with P = Uᵀ·dA·V, F_ij = 1/(s_j² − s_i²) off the diagonal, J = Uᵀ·gU, K = Vᵀ·gV:
///   dS = diag(P) ; dU = U·(F ∘ (P·S + S·Pᵀ)) + (I − UUᵀ)·dA·V·S⁻¹ ; dV = V·(F ∘ (S·P + Pᵀ·S)) + (I − VVᵀ)·dAᵀ·U·S⁻¹ ;
///   gA = U·((F ∘ (J − Jᵀ))·S + S·(F ∘ (K − Kᵀ)) + diag(gS))·Vᵀ + (I − UUᵀ)·gU·S⁻¹·Vᵀ + U·S⁻¹·gVᵀ·(I − VVᵀ),
/// the last two terms only when m &gt; k (resp. n &gt; k). Caveats, as PyTorch's: the vectors are determined only up to a
/// sign per pair (u_i, v_i), so only functions that do not depend on that sign have a derivative; where singular values
/// are exactly equal, or one is 0 (with m ≠ n), the derivatives of U and V do not exist: those terms of F and S⁻¹ are
/// taken as 0 (<see cref="Gaps"/>; PyTorch gives inf/NaN), so the singular values' derivatives (gA = U·diag(gS)·Vᵀ when
/// gU = gV = 0) stay finite and exact. With the full form, U's columns past k and Vh's rows past k are an arbitrary
/// basis: their cotangents are ignored (as PyTorch) and their tangents are zero.
/// </summary>
internal sealed class Svd(int m, int n, bool full) : Primitive
{
    public override string Name => "linalg_svd";
    public override string GradName => "LinalgSvdBackward";
    public override bool MayFailInReplay => false;
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    int K => Math.Min(m, n);

    /// <summary>U's, S's and Vh's shapes in the packed output.</summary>
    public Piece[] Pieces => [new(m, full ? m : K), Piece.Vector(K), new(full ? n : K, n)];

    /// <summary>Decomposes one row-major m×n matrix into its packed U, S and Vh.</summary>
    public void Factor(ReadOnlySpan<double> a, Span<double> packed)
    {
        var p = Pieces;
        int s0 = p[0].Size, v0 = s0 + p[1].Size;
        JacobiSvd.Decompose(a, m, n, full, packed[..s0], packed[s0..v0], packed[v0..]);
    }

    /// <summary>U (m×k), S and Vh (k×n) of a packed tensor: the reduced factors.</summary>
    (Tensor U, Tensor S, Tensor Vh) Reduced(Tensor packed)
    {
        var t = Piece.Split(packed, Pieces);
        return full ? (t[0].Narrow(-1, 0, K), t[1], t[2].Narrow(-2, 0, K)) : (t[0], t[1], t[2]);
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var (u, s, vh) = Reduced(y);
        var (gu, gs, gvh) = Reduced(gy);
        var v = vh.T;
        var j = u.T.MatMul(gu);
        var k = v.T.MatMul(gvh.T);
        var f = Gaps.Inverse(s * s);
        var inner = (j - j.T) * f * s.Unsqueeze(-2) + s.Unsqueeze(-1) * ((k - k.T) * f) + Gaps.Diagonal(gs);
        var ga = u.MatMul(inner).MatMul(vh);
        var sinv = Gaps.SafeReciprocal(s);
        if (m > K) ga = ga + ((gu - u.MatMul(j)) * sinv.Unsqueeze(-2)).MatMul(vh);
        if (n > K) ga = ga + u.MatMul(sinv.Unsqueeze(-1) * (gvh - k.T.MatMul(vh)));
        return [ga];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is not { } da) return null;
        var (u, s, vh) = Reduced(y);
        var v = vh.T;
        var p = u.T.MatMul(da).MatMul(v);
        var ds = Gaps.DiagonalOf(p);
        var f = Gaps.Inverse(s * s);
        var (right, left) = (s.Unsqueeze(-2), s.Unsqueeze(-1));   // X·S scales columns, S·X rows
        var du = u.MatMul(f * (p * right + left * p.T));
        var dv = v.MatMul(f * (left * p + p.T * right));
        var sinv = Gaps.SafeReciprocal(s).Unsqueeze(-2);
        if (m > K) du = du + (da.MatMul(v) - u.MatMul(p)) * sinv;
        if (n > K) dv = dv + (da.T.MatMul(u) - v.MatMul(p.T)) * sinv;
        var dvh = dv.T;
        if (full && m > K) du = Tensor.Concat([du, Tensor.Zeros([.. du.Shape.ToArray()[..^1], m - K], du.DType, device: du.Device)], -1);
        if (full && n > K) dvh = Tensor.Concat([dvh, Tensor.Zeros([.. dvh.Shape.ToArray()[..^2], n - K, n], dvh.DType, device: dvh.Device)], -2);
        return Piece.Join(y.Shape.ToArray()[..^1], Pieces, du, ds, dvh);
    }

    public override RefArray Reference(RefArray[] x) => MatrixBatches.Reference(x[0], [Piece.Total(Pieces)], Factor);
}
