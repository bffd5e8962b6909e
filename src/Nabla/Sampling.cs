using Nabla.Engine;

namespace Nabla;

/// <summary>
/// Picking the next token from a language model's logits [..., vocab]: temperature, top-k and top-p (nucleus)
/// filtering as Hugging Face's generation code does them, and one call that does all three and draws with
/// <see cref="Tensor.Multinomial"/>. Filters return new logits with the removed entries at -∞ (so a softmax gives
/// them probability 0); nothing here records gradients.
/// </summary>
/// <example><code>
/// var logits = model.Call(context)[.., ^1, ..];                                   // [batch, vocab]
/// var next = Sampling.Sample(logits, temperature: 0.8, topK: 40, topP: 0.95, seed: 1);   // [batch] int64
/// </code></example>
public static class Sampling
{
    /// <summary>logits / <paramref name="temperature"/>: below 1 sharpens the distribution, above 1 flattens it. Must be positive.</summary>
    public static Tensor Temperature(Tensor logits, double temperature)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw Errors.Arg("Sampling.Temperature", $"temperature must be positive and finite, got {temperature}; for greedy decoding take ArgMax(-1).");
        using (Autograd.NoGrad()) return logits.Detach() / temperature;
    }

    /// <summary>
    /// Keeps the <paramref name="k"/> largest logits of each row (ties with the k-th largest too) and sets the rest to
    /// -∞. A k of at least the vocabulary size keeps everything.
    /// </summary>
    public static Tensor TopK(Tensor logits, int k)
    {
        CheckLogits("Sampling.TopK", logits);
        if (k < 1) throw Errors.Arg("Sampling.TopK", $"k must be at least 1, got {k}.");
        using (Autograd.NoGrad())
        {
            var x = logits.Detach();
            if (k >= x.Shape[-1]) return x.Clone();
            var kth = x.TopK(k).Values.Narrow(-1, k - 1, 1);   // [..., 1]
            return x.MaskedFill(x < kth, double.NegativeInfinity);
        }
    }

    /// <summary>
    /// Nucleus filtering: keeps the smallest set of most likely tokens whose probabilities (softmax of the logits) add up
    /// to more than <paramref name="p"/>, the token that crosses p included, and at least <paramref name="minTokensToKeep"/>
    /// tokens; sets the rest to -∞. p = 1 keeps everything.
    /// </summary>
    public static Tensor TopP(Tensor logits, double p, int minTokensToKeep = 1)
    {
        CheckLogits("Sampling.TopP", logits);
        if (!(p > 0 && p <= 1)) throw Errors.Arg("Sampling.TopP", $"p must be in (0, 1], got {p}.");
        if (minTokensToKeep < 1) throw Errors.Arg("Sampling.TopP", $"minTokensToKeep must be at least 1, got {minTokensToKeep}.");
        using (Autograd.NoGrad())
        {
            var x = logits.Detach();
            var (sorted, order) = x.Sort(-1, descending: true);
            var probs = sorted.Softmax(-1);
            // A sorted position is removed when the mass before it already exceeds p (so the crossing token stays).
            var before = probs.CumSum(-1) - probs;
            var remove = before > p;
            int vocab = x.Shape[-1];
            if (minTokensToKeep > 1)
                remove = remove & (Tensor.Arange(vocab).To(DType.Int64) >= Math.Min(minTokensToKeep, vocab));
            var removeInPlace = remove.Scatter(-1, order, remove);   // back to vocabulary order
            return x.MaskedFill(removeInPlace, double.NegativeInfinity);
        }
    }

    /// <summary>
    /// One token per row of <paramref name="logits"/> [vocab] or [batch, vocab]: divides by <paramref name="temperature"/>,
    /// applies <see cref="TopK"/> and <see cref="TopP"/> when given, and draws from the softmax with
    /// <see cref="Tensor.Multinomial"/> (seeded like it). Returns int64 ids: a 0-d tensor for one row, else [batch].
    /// </summary>
    public static Tensor Sample(Tensor logits, double temperature = 1, int? topK = null, double? topP = null, int? seed = null)
    {
        CheckLogits("Sampling.Sample", logits);
        if (logits.Rank > 2) throw Errors.Arg("Sampling.Sample", $"needs logits [vocab] or [batch, vocab], got {Errors.Describe(logits)}; take the last position first (logits[.., ^1, ..]).");
        var x = Temperature(logits, temperature);
        if (topK is int k) x = TopK(x, k);
        if (topP is double p) x = TopP(x, p);
        using (Autograd.NoGrad())
        {
            var ids = x.Softmax(-1).Multinomial(1, seed: seed);
            return ids.Squeeze(-1);
        }
    }

    static void CheckLogits(string op, Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank == 0 || !logits.DType.IsFloating())
            throw Errors.Arg(op, $"needs floating logits with a vocabulary dim last, got {Errors.Describe(logits)}.");
    }
}
