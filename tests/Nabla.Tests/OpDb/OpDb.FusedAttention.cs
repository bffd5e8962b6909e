using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>ScaledDotProductAttention forced onto the fused kernel (it picks the composite below FusedAttentionMinKeys).</summary>
    static Tensor FusedSdpa(Tensor q, Tensor k, Tensor v, bool causal, double? scale)
    {
        using (F.UseAttentionPath(F.AttentionPath.Fused)) return F.ScaledDotProductAttention(q, k, v, isCausal: causal, scale: scale);
    }

    /// <summary>
    /// The fused attention primitives (FusedAttention, FusedAttentionGrad) through the public function: first order runs
    /// the fused backward kernel, second order and forward mode its composite rules. One entry crosses the kernel's
    /// 32-row and 64-key blocks (L = 35, S = 67), without mask. NB: a causal entry of that size (L = 40, S = 37, or
    /// L = 9, S = 67) passes the generic checks but not CompiledOpDbHigherOrderTests' bitwise compiled-vs-eager ones
    /// (results 1 ulp apart: Exp of the masked scores, [1, 70, 67] float64 with -inf entries, gave different bits on two
    /// eager runs with equal inputs, so the rules' composite softmax does too): FusedAttentionTests checks the causal
    /// blocks (S = 67..130, L &gt; S and L &lt; S) against the composite, finite differences, second order and compiled.
    /// </summary>
    static IEnumerable<OpInfo> FusedAttentionEntries()
    {
        var u = Samples.Uniform;
        OpSample[] Qkv(int seed, int l, int s) =>
        [
            new("contiguous", [u(seed, [2, l, 3]), u(seed + 1, [2, s, 3]), u(seed + 2, [2, s, 2])]),
            new("non-contiguous", [u(seed + 3, [l, 2, 3]).Transpose(0, 1), u(seed + 4, [2, 3, s]).Transpose(1, 2), u(seed + 5, [2, s, 2])]),
        ];
        yield return new OpInfo
        {
            Name = "ScaledDotProductAttention(fused)", Covers = [],
            Op = x => FusedSdpa(x[0], x[1], x[2], false, null),
            Reference = r => LoopAttention(r[0], r[1], r[2], AttentionMask.None, false, null),
            Samples = () => Qkv(740, 3, 5),
        };
        yield return new OpInfo
        {
            Name = "ScaledDotProductAttention(fused, causal, scale)", Covers = [],
            Op = x => FusedSdpa(x[0], x[1], x[2], true, 0.7),
            Reference = r => LoopAttention(r[0], r[1], r[2], AttentionMask.Causal, false, 0.7),
            Samples = () => [.. Qkv(750, 5, 3), .. Qkv(760, 3, 6)],
        };
        yield return new OpInfo
        {
            Name = "ScaledDotProductAttention(fused, blocks)", Covers = [],
            Op = x => FusedSdpa(x[0], x[1], x[2], false, null),
            Reference = r => LoopAttention(r[0], r[1], r[2], AttentionMask.None, false, null),
            Samples = () => [new("contiguous", [u(770, [1, 35, 2]), u(771, [1, 67, 2]), u(772, [1, 67, 1])])],
        };
    }
}
