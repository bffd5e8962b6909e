using Nabla.Backends.Reference;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>Which query/key pairs take part: every pair, the causal triangle, or a fixed pattern (query i sees key j unless (i + 2j) % 3 == 0).</summary>
    enum AttentionMask { None, Causal, Pattern }

    static bool Sees(AttentionMask mask, int i, int j) => mask switch
    {
        AttentionMask.Causal => j <= i,
        AttentionMask.Pattern => (i + 2 * j) % 3 != 0 || j == i,   // the diagonal stays, so no row is empty
        _ => true,
    };

    /// <summary>Attention in loops over [B, L, E] / [B, S, E] / [B, S, Ev], with an additive bias b(i, j) = 0.1·(i - j) when asked.</summary>
    static RefArray LoopAttention(RefArray q, RefArray k, RefArray v, AttentionMask mask, bool additive, double? scale)
    {
        int b = q.Shape[0], l = q.Shape[1], e = q.Shape[2], s = k.Shape[1], ev = v.Shape[2];
        double sc = scale ?? 1 / Math.Sqrt(e);
        var y = RefArray.Zeros([b, l, ev]);
        for (int n = 0; n < b; n++)
            for (int i = 0; i < l; i++)
            {
                var w = new double[s];
                double max = double.NegativeInfinity;
                for (int j = 0; j < s; j++)
                {
                    if (!Sees(mask, i, j)) { w[j] = double.NegativeInfinity; continue; }
                    double dot = 0;
                    for (int c = 0; c < e; c++) dot += q[[n, i, c]] * k[[n, j, c]];
                    w[j] = dot * sc + (additive ? 0.1 * (i - j) : 0);
                    max = Math.Max(max, w[j]);
                }
                double total = 0;
                for (int j = 0; j < s; j++) total += w[j] = Math.Exp(w[j] - max);
                for (int c = 0; c < ev; c++)
                {
                    double acc = 0;
                    for (int j = 0; j < s; j++) acc += w[j] / total * v[[n, j, c]];
                    y.Data[y.Ravel([n, i, c])] = acc;
                }
            }
        return y;
    }

    static Tensor PatternMask(int l, int s)
    {
        var keep = new bool[l * s];
        for (int i = 0; i < l; i++)
            for (int j = 0; j < s; j++) keep[i * s + j] = Sees(AttentionMask.Pattern, i, j);
        return Tensor.FromArray(keep, [l, s]);
    }

    static Tensor AdditiveBias(int l, int s, DType dtype)
    {
        var bias = new double[l * s];
        for (int i = 0; i < l; i++)
            for (int j = 0; j < s; j++) bias[i * s + j] = 0.1 * (i - j);
        return Tensor.FromArray(bias, [l, s]).To(dtype);
    }

    static IEnumerable<OpInfo> AttentionEntries()
    {
        var u = Samples.Uniform;
        OpSample[] Qkv(int seed, int l, int s) =>
        [
            new("contiguous", [u(seed, [2, l, 4]), u(seed + 1, [2, s, 4]), u(seed + 2, [2, s, 3])]),
            new("non-contiguous", [u(seed + 3, [l, 2, 4]).Transpose(0, 1), u(seed + 4, [2, 4, s]).Transpose(1, 2), u(seed + 5, [2, s, 3])]),
        ];
        yield return new OpInfo
        {
            Name = "ScaledDotProductAttention", Covers = [],
            Op = x => F.ScaledDotProductAttention(x[0], x[1], x[2]),
            Reference = r => LoopAttention(r[0], r[1], r[2], AttentionMask.None, false, null),
            Samples = () => Qkv(700, 3, 5),
        };
        yield return new OpInfo
        {
            Name = "ScaledDotProductAttention(causal, scale)", Covers = [],
            Op = x => F.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true, scale: 0.7),
            Reference = r => LoopAttention(r[0], r[1], r[2], AttentionMask.Causal, false, 0.7),
            Samples = () => Qkv(710, 4, 4),
        };
        yield return new OpInfo
        {
            Name = "ScaledDotProductAttention(bool mask)", Covers = [],
            Op = x => F.ScaledDotProductAttention(x[0], x[1], x[2], attnMask: PatternMask(4, 5).To(x[0].Device)),
            Reference = r => LoopAttention(r[0], r[1], r[2], AttentionMask.Pattern, false, null),
            Samples = () => Qkv(720, 4, 5),
        };
        yield return new OpInfo
        {
            Name = "ScaledDotProductAttention(float mask)", Covers = [],
            Op = x => F.ScaledDotProductAttention(x[0], x[1], x[2], attnMask: AdditiveBias(3, 5, x[0].DType).To(x[0].Device)),
            Reference = r => LoopAttention(r[0], r[1], r[2], AttentionMask.None, true, null),
            Samples = () => Qkv(730, 3, 5),
        };
    }
}
