using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// Scaled dot-product attention in one pass over key blocks (flash-attention style), for q [B, L, E], k [B, S, E],
/// v [B, S, Ev] (batch dims flattened by the front end), S ≥ 1, with no mask or the top-left causal mask:
///   s = scale·q·kᵀ (j &gt; i dropped when causal) ; p = softmax(s) ; y = p·v ; lse = log Σ_j exp(s_ij).
/// Two outputs: y [B, L, Ev] and lse [B, L] (a side output the backward reads; it carries no gradient). The kernel keeps
/// a running max and sum per query row, so it never holds the [L, S] matrix.
///   gq, gk, gv = <see cref="FusedAttentionGrad"/>(q, k, v, y, lse, gy)   (p recomputed block by block from lse)
///   dy = dp·v + p·dv with dp = p∘(ds − rowsum(p∘ds)), ds = scale·(dq·kᵀ + q·dkᵀ)   (composite: [L, S] memory)
/// </summary>
internal sealed class FusedAttention(double scale, bool causal) : Primitive
{
    public override string Name => "fused_attention";
    public override string GradName => "ScaledDotProductFlashAttentionBackward";
    public override bool SavesOutput => true;
    public override int OutputCount => 2;
    public override DType[] OutputDTypes(Tensor[] x) => [x[0].DType, x[0].DType];

    public double Scale => scale;
    public bool Causal => causal;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var packed = Dispatch.Call(new FusedAttentionGrad(scale, causal), x[0], x[1], x[2], y, SideOutputs[0], gy);
        return FusedAttentionGrad.Unpack(packed, x[0], x[1], x[2]);
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null && dx[1] is null && dx[2] is null) return null;
        var p = Probabilities(x[0], x[1], scale, causal);
        var ds = ScoreTangent(dx[0], dx[1], x[0], x[1], scale);
        Tensor? dy = null;
        if (ds is not null) dy = SoftmaxTangent(p, ds).MatMul(x[2]);
        if (dx[2] is { } dv) dy = dy is null ? p.MatMul(dv) : dy + p.MatMul(dv);
        return dy;
    }

    /// <summary>softmax(scale·q·kᵀ) with the causal mask, as differentiable ops (the composite, [B, L, S]).</summary>
    internal static Tensor Probabilities(Tensor q, Tensor k, double scale, bool causal)
    {
        var s = q.MatMul(k.Transpose(-2, -1)) * scale;
        if (causal)
        {
            var keep = Tensor.Ones([q.Shape[-2], k.Shape[-2]], DType.Bool, device: q.Device).Tril();
            s = s.MaskedFill(!keep, double.NegativeInfinity);
        }
        return s.Softmax(-1);
    }

    /// <summary>ds = scale·(dq·kᵀ + q·dkᵀ), null when both tangents are.</summary>
    internal static Tensor? ScoreTangent(Tensor? dq, Tensor? dk, Tensor q, Tensor k, double scale) =>
        SumTangents(dq?.MatMul(k.Transpose(-2, -1)), dk is null ? null : q.MatMul(dk.Transpose(-2, -1))) is { } t ? t * scale : null;

    /// <summary>The tangent of softmax's output p for a tangent ds of its input: p∘(ds − rowsum(p∘ds)).</summary>
    internal static Tensor SoftmaxTangent(Tensor p, Tensor ds) => p * (ds - (p * ds).Sum(-1, keepDim: true));

    public override RefArray Reference(RefArray[] x) => ReferenceOutputs(x)[0];

    /// <summary>[y, lse] in double loops, one query row at a time.</summary>
    public override RefArray[] ReferenceOutputs(RefArray[] x)
    {
        var (q, k, v) = (x[0], x[1], x[2]);
        int b = q.Shape[0], l = q.Shape[1], e = q.Shape[2], s = k.Shape[1], ev = v.Shape[2];
        var y = RefArray.Zeros([b, l, ev]);
        var lse = RefArray.Zeros([b, l]);
        for (int n = 0; n < b; n++)
            for (int i = 0; i < l; i++)
            {
                var p = ReferenceRow(q, k, n, i, scale, causal, out double logSum);
                lse.Data[n * l + i] = logSum;
                for (int c = 0; c < ev; c++)
                {
                    double acc = 0;
                    for (int j = 0; j < s; j++) acc += p[j] * v.Data[(n * s + j) * ev + c];
                    y.Data[(n * l + i) * ev + c] = acc;
                }
            }
        return [y, lse];
    }

    /// <summary>Row i's probabilities over the S keys (0 where masked) and its log-sum-exp, in double.</summary>
    internal static double[] ReferenceRow(RefArray q, RefArray k, int n, int i, double scale, bool causal, out double logSum)
    {
        int l = q.Shape[1], e = q.Shape[2], s = k.Shape[1];
        var w = new double[s];
        double max = double.NegativeInfinity;
        for (int j = 0; j < s; j++)
        {
            if (causal && j > i) { w[j] = double.NegativeInfinity; continue; }
            double dot = 0;
            for (int c = 0; c < e; c++) dot += q.Data[(n * l + i) * e + c] * k.Data[(n * s + j) * e + c];
            w[j] = dot * scale;
            max = Math.Max(max, w[j]);
        }
        double total = 0;
        for (int j = 0; j < s; j++) total += w[j] = Math.Exp(w[j] - max);
        for (int j = 0; j < s; j++) w[j] /= total;
        logSum = max + Math.Log(total);
        return w;
    }
}
