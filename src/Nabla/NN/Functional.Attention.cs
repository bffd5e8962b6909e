using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention, its math definition):
    /// softmax(Q·Kᵀ·scale + mask)·V for <paramref name="query"/> [..., L, E], <paramref name="key"/> [..., S, E] and
    /// <paramref name="value"/> [..., S, Ev], giving [..., L, Ev]; batch and head dims broadcast as in MatMul.
    /// <paramref name="scale"/> defaults to 1/√E. <paramref name="attnMask"/> broadcasts to [..., L, S]: a bool mask keeps
    /// the positions that are true (the others get -∞ before the softmax), a floating mask is added to the scores.
    /// <paramref name="isCausal"/> lets position i attend to key positions 0..i only (a lower-triangular mask aligned to
    /// the top left, as PyTorch; it can't be combined with <paramref name="attnMask"/>). With <paramref name="dropoutP"/>
    /// &gt; 0 the attention weights go through <see cref="Dropout(Tensor, double, bool, int?)"/> (seeded by <paramref name="seed"/>), as PyTorch
    /// applies it whenever it is given: pass 0 when evaluating. A query row whose keys are all masked gives NaN, as
    /// PyTorch's math path.
    /// Without dropout, with no mask or <paramref name="isCausal"/>, in float32/float64 on the CPU, and with at least 128 key
    /// positions, it runs a fused kernel (flash-attention style: key blocks with a
    /// running max and sum per query row) that never holds the [..., L, S] score matrix, forward or backward: memory linear
    /// in the sequence length. Its first derivatives are a fused kernel too; second derivatives and forward mode recompute
    /// through the composite (they hold [..., L, S]). Otherwise (masks, dropout, short sequences, where the composite was
    /// measured faster) it is the composite of MatMul, Softmax and MatMul, whose gradients of any order come from those ops.
    /// Both paths give the same values to rounding. (A fully masked row needs a mask, so it always takes the composite.)
    /// </summary>
    /// <example><code>
    /// var y = Functional.ScaledDotProductAttention(q, k, v, isCausal: true);   // q, k, v: [batch, heads, T, headDim]
    /// </code></example>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null,
        double dropoutP = 0, bool isCausal = false, double? scale = null, int? seed = null)
    {
        const string op = "ScaledDotProductAttention";
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (query.Rank < 2 || key.Rank < 2 || value.Rank < 2)
            throw Errors.Arg(op, $"query, key and value need at least 2 dims ([..., L, E], [..., S, E], [..., S, Ev]), got {Errors.Describe(query)}, {Errors.Describe(key)}, {Errors.Describe(value)}.");
        if (!query.DType.IsFloating() || key.DType != query.DType || value.DType != query.DType)
            throw Errors.Arg(op, $"query, key and value must share one floating dtype, got {query.DType.TorchName()}, {key.DType.TorchName()}, {value.DType.TorchName()}.");
        if (query.Shape[-1] != key.Shape[-1])
            throw Errors.Arg(op, $"query {Errors.Describe(query)} and key {Errors.Describe(key)} must have the same last dim (E).");
        if (key.Shape[-2] != value.Shape[-2])
            throw Errors.Arg(op, $"key {Errors.Describe(key)} and value {Errors.Describe(value)} must have the same number of positions (dim -2).");
        if (!(dropoutP >= 0 && dropoutP < 1)) throw Errors.Arg(op, $"dropoutP must be in [0, 1), got {dropoutP}.");
        if (scale is double sc && !double.IsFinite(sc)) throw Errors.Arg(op, $"scale must be finite, got {sc}.");
        int l = query.Shape[-2], s = key.Shape[-2];
        if (isCausal && attnMask is not null) throw Errors.Arg(op, "isCausal and attnMask can't be given together (as PyTorch); fold the causal mask into attnMask.");
        if (dropoutP == 0 && attnMask is null && UsesFusedAttention(query, key, value))
            return FusedAttentionCall(query, key, value, isCausal, scale ?? 1 / Math.Sqrt(query.Shape[-1]));
        var scores = query.MatMul(key.Transpose(-2, -1)) * (scale ?? 1 / Math.Sqrt(query.Shape[-1]));
        if (isCausal)
        {
            var keep = Tensor.Ones([l, s], DType.Bool, device: query.Device).Tril();
            scores = scores.MaskedFill(!keep, double.NegativeInfinity);
        }
        else if (attnMask is { } mask)
        {
            if (mask.DType == DType.Bool) scores = scores.MaskedFill(!mask, double.NegativeInfinity);
            else if (mask.DType == query.DType) scores = scores + mask;
            else throw Errors.Arg(op, $"attnMask must be bool or {query.DType.TorchName()} (the query's dtype), got {Errors.Describe(mask)}.");
        }
        var weights = scores.Softmax(-1);
        if (dropoutP > 0) weights = Dropout(weights, dropoutP, training: true, seed);
        return weights.MatMul(value);
    }

    /// <summary>
    /// The fewest key positions (S) for which <see cref="ScaledDotProductAttention"/> takes the fused kernel; below it the
    /// composite (three big GEMMs) was as fast or faster (bench/README.md, Session 11, attention_step).
    /// </summary>
    internal const int FusedAttentionMinKeys = 128;

    /// <summary>Which implementation <see cref="ScaledDotProductAttention"/> takes where both apply (tests and benchmarks).</summary>
    internal enum AttentionPath { Auto, Fused, Composite }

    static readonly AsyncLocal<AttentionPath> AttentionPathOverride = new();

    /// <summary>Forces one implementation for the current flow of control until the result is disposed.</summary>
    internal static IDisposable UseAttentionPath(AttentionPath path)
    {
        var before = AttentionPathOverride.Value;
        AttentionPathOverride.Value = path;
        return new RestorePath(before);
    }

    sealed class RestorePath(AttentionPath before) : IDisposable
    {
        public void Dispose() => AttentionPathOverride.Value = before;
    }

    static bool UsesFusedAttention(Tensor query, Tensor key, Tensor value)
    {
        if (query.DType is not (DType.Float32 or DType.Float64) || query.Device.Kind is not ("cpu" or "reference")) return false;
        if (query.NumElements == 0 || key.NumElements == 0 || value.NumElements == 0) return false;   // empty: the composite's shapes
        int s = key.Shape[-2];
        return AttentionPathOverride.Value switch
        {
            AttentionPath.Fused => true,
            AttentionPath.Composite => false,
            _ => s >= FusedAttentionMinKeys,
        };
    }

    /// <summary>Broadcasts the batch dims, flattens them to one and runs the fused primitive.</summary>
    static Tensor FusedAttentionCall(Tensor query, Tensor key, Tensor value, bool causal, double scale)
    {
        static int[] BatchOf(Tensor t) => t.Shape.ToArray()[..^2];
        var batch = Tensor.BroadcastShapes("ScaledDotProductAttention", new Shape(Tensor.BroadcastShapes("ScaledDotProductAttention",
            new Shape(BatchOf(query)), new Shape(BatchOf(key)))), new Shape(BatchOf(value)));
        // No op where none is needed (a [B, L, E] input goes in as it is): a compiled replay then hands the derivative
        // rules the very tensors eager code does, not views with other strides (whose kernels may round differently).
        Tensor Flat(Tensor t)
        {
            int rows = t.Shape[-2], cols = t.Shape[-1];
            int[] full = [.. batch, rows, cols];
            if (!t.Shape.ToArray().AsSpan().SequenceEqual(full)) t = t.Expand(full);
            return t.Rank == 3 ? t : t.Reshape(-1, rows, cols);
        }
        int l = query.Shape[-2], ev = value.Shape[-1];
        var outputs = Dispatch.CallMany(new Primitives.Linalg.FusedAttention(scale, causal), Flat(query), Flat(key), Flat(value));
        return batch.Length == 1 ? outputs[0] : outputs[0].Reshape([.. batch, l, ev]);
    }
}
