using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// The reverse-mode gradient of <see cref="FusedAttention"/>: inputs q [B, L, E], k [B, S, E], v [B, S, Ev], its output y,
/// its lse and the cotangent g [B, L, Ev]; one output packing gq, gk, gv along the last dim ([B, L·E + S·E + S·Ev], see
/// <see cref="Piece"/>). With p = exp(scale·q·kᵀ − lse) recomputed block by block and D = rowsum(g∘y):
///   gv = pᵀ·g ; dp = g·vᵀ ; ds = p∘(dp − D) ; gq = scale·ds·k ; gk = scale·dsᵀ·q.
/// y and lse are read as the functions of q, k, v they are (the forward's outputs): the rules of this op (second order,
/// forward mode) differentiate the composite definition in q, k, v and g only, and give no gradient to y or lse. Those
/// rules recompute p through MatMul and Softmax, so higher orders hold [B, L, S] (first order does not).
/// </summary>
internal sealed class FusedAttentionGrad(double scale, bool causal) : Primitive
{
    public override string Name => "fused_attention_backward";
    public override string GradName => "ScaledDotProductFlashAttentionBackwardBackward";

    public double Scale => scale;
    public bool Causal => causal;

    static Piece[] Pieces(Tensor q, Tensor k, Tensor v) =>
        [new(q.Shape[1], q.Shape[2]), new(k.Shape[1], k.Shape[2]), new(v.Shape[1], v.Shape[2])];

    /// <summary>The packed gradient's last dim for these inputs.</summary>
    internal static int PackedLength(Tensor q, Tensor k, Tensor v) => Piece.Total(Pieces(q, k, v));

    /// <summary>[gq, gk, gv] as views of the packed output.</summary>
    internal static Tensor[] Unpack(Tensor packed, Tensor q, Tensor k, Tensor v) => Piece.Split(packed, Pieces(q, k, v));

    /// <summary>The composite's intermediate values: p, dp = g·vᵀ, D = rowsum(dp∘p) and ds = p∘(dp − D).</summary>
    (Tensor P, Tensor Dp, Tensor D, Tensor Ds) Recompute(Tensor q, Tensor k, Tensor v, Tensor g)
    {
        var p = FusedAttention.Probabilities(q, k, scale, causal);
        var dp = g.MatMul(v.Transpose(-2, -1));
        var d = (dp * p).Sum(-1, keepDim: true);
        return (p, dp, d, p * (dp - d));
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var (q, k, v, g) = (x[0], x[1], x[2], x[5]);
        var parts = Unpack(gy, q, k, v);
        var (a, b, c) = (parts[0], parts[1], parts[2]);   // cotangents of gq, gk, gv
        var (p, dp, d, ds) = Recompute(q, k, v, g);
        // J = <ds, m> + <p, g·cᵀ> plus the direct terms of gq (in k) and gk (in q).
        var m = (a.MatMul(k.Transpose(-2, -1)) + q.MatMul(b.Transpose(-2, -1))) * scale;
        var e = (p * m).Sum(-1, keepDim: true);
        var gDp = p * (m - e);
        var gP = m * (dp - d) - dp * e + g.MatMul(c.Transpose(-2, -1));
        var gS = FusedAttention.SoftmaxTangent(p, gP) * scale;   // the softmax VJP equals its JVP form (symmetric Jacobian)
        var gq = gS.MatMul(k) + ds.MatMul(b) * scale;
        var gk = gS.Transpose(-2, -1).MatMul(q) + ds.Transpose(-2, -1).MatMul(a) * scale;
        var gv = gDp.Transpose(-2, -1).MatMul(g);
        var gg = gDp.MatMul(v) + p.MatMul(c);
        return [gq, gk, gv, null, null, gg];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        var (q, k, v, g) = (x[0], x[1], x[2], x[5]);
        if (dx[0] is null && dx[1] is null && dx[2] is null && dx[5] is null) return null;
        var (p, dp, d, ds) = Recompute(q, k, v, g);
        var dq = dx[0] ?? Tensor.ZerosLike(q);
        var dk = dx[1] ?? Tensor.ZerosLike(k);
        var dv = dx[2] ?? Tensor.ZerosLike(v);
        var dg = dx[5] ?? Tensor.ZerosLike(g);
        var pDot = FusedAttention.SoftmaxTangent(p, FusedAttention.ScoreTangent(dq, dk, q, k, scale)!);
        var dpDot = dg.MatMul(v.Transpose(-2, -1)) + g.MatMul(dv.Transpose(-2, -1));
        var dDot = (dpDot * p + dp * pDot).Sum(-1, keepDim: true);
        var dsDot = pDot * (dp - d) + p * (dpDot - dDot);
        var gqDot = (dsDot.MatMul(k) + ds.MatMul(dk)) * scale;
        var gkDot = (dsDot.Transpose(-2, -1).MatMul(q) + ds.Transpose(-2, -1).MatMul(dq)) * scale;
        var gvDot = pDot.Transpose(-2, -1).MatMul(g) + p.Transpose(-2, -1).MatMul(dg);
        return Piece.Join([q.Shape[0]], Pieces(q, k, v), gqDot, gkDot, gvDot);
    }

    /// <summary>The packed gradient in double loops (probabilities from <see cref="FusedAttention.ReferenceRow"/>).</summary>
    public override RefArray Reference(RefArray[] x)
    {
        var (q, k, v, g) = (x[0], x[1], x[2], x[5]);
        int b = q.Shape[0], l = q.Shape[1], e = q.Shape[2], s = k.Shape[1], ev = v.Shape[2];
        int total = l * e + s * e + s * ev;
        var packed = RefArray.Zeros([b, total]);
        for (int n = 0; n < b; n++)
        {
            int gqAt = n * total, gkAt = gqAt + l * e, gvAt = gkAt + s * e;
            for (int i = 0; i < l; i++)
            {
                var p = FusedAttention.ReferenceRow(q, k, n, i, scale, causal, out _);
                var dp = new double[s];
                double dSum = 0;
                for (int j = 0; j < s; j++)
                {
                    for (int c = 0; c < ev; c++) dp[j] += g.Data[(n * l + i) * ev + c] * v.Data[(n * s + j) * ev + c];
                    dSum += dp[j] * p[j];
                }
                for (int j = 0; j < s; j++)
                {
                    double dsij = p[j] * (dp[j] - dSum) * scale;
                    for (int c = 0; c < e; c++)
                    {
                        packed.Data[gqAt + i * e + c] += dsij * k.Data[(n * s + j) * e + c];
                        packed.Data[gkAt + j * e + c] += dsij * q.Data[(n * l + i) * e + c];
                    }
                    for (int c = 0; c < ev; c++) packed.Data[gvAt + j * ev + c] += p[j] * g.Data[(n * l + i) * ev + c];
                }
            }
        }
        return packed;
    }
}
