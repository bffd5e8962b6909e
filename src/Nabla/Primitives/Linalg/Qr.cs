using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// QR of a batch of m×n matrices by Householder reflections (LAPACK's signs: see <see cref="HouseholderQr"/>); the
/// output packs Q then R (<see cref="Piece"/>). Derivatives (real case; PyTorch's linalg_qr_backward, derived here):
/// tall (m ≥ n), with X = Qᵀ·dA·R⁻¹ and C = tril₋(X) − tril₋(X)ᵀ (QᵀdQ is skew, dR·R⁻¹ upper):
///   dR = (X − C)·R ; dQ = dA·R⁻¹ − Q·(X − C) ;
///   gA = (gQ + Q·N)·R⁻ᵀ with N = M's upper triangle mirrored below, M = gR·Rᵀ − Qᵀ·gQ.
/// wide (m &lt; n), A = [X | Y], R = [R₁ | R₂]: X = Q·R₁ is the square case, R₂ = Qᵀ·Y, so
///   dR₂ = dQᵀ·Y + Qᵀ·dY ; gY = Q·gR₂ and X's rule gets gQ + Y·gR₂ᵀ.
/// Complete mode with m &gt; n (Q's extra columns are not determined by A) and mode R are not differentiable, as in PyTorch.
/// Products with R⁻¹ are triangular solves (<see cref="Nabla.Linalg.SolveTriangular"/>), so the rules stay differentiable; a rank-deficient A
/// (a zero on R's diagonal) gives infinite or NaN derivatives, as in PyTorch.
/// </summary>
internal sealed class Qr(QrMode mode, int m, int n) : Primitive
{
    public override string Name => "linalg_qr";
    public override string GradName => "LinalgQrBackward";
    public override bool MayFailInReplay => false;   // NaN/inf in, NaN out; never throws on values
    public override bool SavesInputs => false;       // the rules read Q and R only (Y = Q·R₂)
    public override bool SavesOutput => true;

    int K => Math.Min(m, n);

    /// <summary>Q's and R's shapes in the packed output.</summary>
    public Piece[] Pieces => [new(m, mode == QrMode.Complete ? m : mode == QrMode.R ? 0 : K), new(mode == QrMode.Complete ? m : K, n)];

    /// <summary>Factors one row-major m×n matrix into its packed Q and R.</summary>
    public void Factor(ReadOnlySpan<double> a, Span<double> packed)
    {
        var p = Pieces;
        HouseholderQr.Decompose(a, m, n, packed[..p[0].Size], p[0].Cols, packed[p[0].Size..], p[1].Rows);
    }

    (Tensor Q, Tensor R) Split(Tensor packed)
    {
        var parts = Piece.Split(packed, Pieces);
        return (parts[0], parts[1]);
    }

    void CheckDifferentiable()
    {
        if (mode == QrMode.R)
            throw Errors.State("Qr", "the derivative of QR needs Q, which QrMode.R does not compute; use QrMode.Reduced to differentiate.");
        if (mode == QrMode.Complete && m > n)
            throw Errors.State("Qr", $"QR with QrMode.Complete is not differentiable for a tall matrix ({m}×{n}, m > n): Q's last " +
                                     $"{m - n} columns are not determined by A; use QrMode.Reduced.");
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        if (m == 0 || n == 0) return [Tensor.Zeros([.. y.Shape.ToArray()[..^1], m, n], y.DType, device: y.Device)];   // nothing to move
        CheckDifferentiable();
        var (q, r) = Split(y);
        var (gq, gr) = Split(gy);
        if (m >= n) return [TallVjp(q, r, gq, gr)];
        var (r1, r2) = (r.Narrow(-1, 0, m), r.Narrow(-1, m, n - m));
        var (gr1, gr2) = (gr.Narrow(-1, 0, m), gr.Narrow(-1, m, n - m));
        var rest = q.MatMul(r2);
        var gx = TallVjp(q, r1, gq + rest.MatMul(gr2.T), gr1);
        return [Tensor.Concat([gx, q.MatMul(gr2)], -1)];
    }

    static Tensor TallVjp(Tensor q, Tensor r, Tensor gq, Tensor gr)
    {
        var mm = gr.MatMul(r.T) - q.T.MatMul(gq);
        var mirrored = mm.Triu() + mm.Triu(1).T;
        return TimesInverseOf(r, gq + q.MatMul(mirrored), transposed: true);
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is not { } da) return null;
        if (m == 0 || n == 0) return Tensor.ZerosLike(y);
        CheckDifferentiable();
        var (q, r) = Split(y);
        var batch = y.Shape.ToArray()[..^1];
        if (m >= n)
        {
            var (dq, dr) = TallJvp(q, r, da);
            return Piece.Join(batch, Pieces, dq, dr);
        }
        var r2 = r.Narrow(-1, m, n - m);
        var (dqw, dr1) = TallJvp(q, r.Narrow(-1, 0, m), da.Narrow(-1, 0, m));
        var dr2 = dqw.T.MatMul(q.MatMul(r2)) + q.T.MatMul(da.Narrow(-1, m, n - m));
        return Piece.Join(batch, Pieces, dqw, Tensor.Concat([dr1, dr2], -1));
    }

    static (Tensor DQ, Tensor DR) TallJvp(Tensor q, Tensor r, Tensor da)
    {
        var x = TimesInverseOf(r, q.T.MatMul(da), transposed: false);
        var lower = x.Tril(-1);
        var upper = x - (lower - lower.T);   // dR·R⁻¹: X less QᵀdQ
        return (TimesInverseOf(r, da, transposed: false) - q.MatMul(upper), upper.MatMul(r));
    }

    /// <summary>B·R⁻¹ (or B·R⁻ᵀ) for upper triangular R, as a triangular solve X·R = B (X·Rᵀ = B).</summary>
    static Tensor TimesInverseOf(Tensor r, Tensor b, bool transposed) =>
        transposed ? Nabla.Linalg.SolveTriangular(r.T, b, upper: false, left: false) : Nabla.Linalg.SolveTriangular(r, b, upper: true, left: false);

    public override RefArray Reference(RefArray[] x) => MatrixBatches.Reference(x[0], [Piece.Total(Pieces)], Factor);
}
