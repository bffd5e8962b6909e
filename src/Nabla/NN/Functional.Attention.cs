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
    /// PyTorch's math path. This is the composite of MatMul, Softmax and MatMul: it holds the [..., L, S] score matrix
    /// (the fused, memory-linear kernel is still to come) and its gradients, of any order, come from those ops.
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
        var scores = query.MatMul(key.Transpose(-2, -1)) * (scale ?? 1 / Math.Sqrt(query.Shape[-1]));
        if (isCausal)
        {
            if (attnMask is not null) throw Errors.Arg(op, "isCausal and attnMask can't be given together (as PyTorch); fold the causal mask into attnMask.");
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
}
