using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Draws <paramref name="numSamples"/> category indices per row of this tensor of weights ([C], or [N, C] for N
    /// distributions), as torch.multinomial: row i picks category j with probability w[i, j] / Σ w[i, :] (the weights
    /// need not sum to 1). Without <paramref name="replacement"/> (PyTorch's default) a row's samples are distinct:
    /// categories are drawn one after another from what is left. Returns int64 indices [numSamples] or [N, numSamples].
    /// Seeded like <see cref="Rand(int[], DType, int?, bool, Device?)"/>: with <paramref name="seed"/> the draw repeats,
    /// without one it comes from the global generator (<see cref="ManualSeed"/>). Draws use the Gumbel-max trick
    /// (argmax, or the top <paramref name="numSamples"/>, of log w + Gumbel noise), which samples exactly these
    /// distributions; the stream differs from PyTorch's, as every generator does. Throws for negative, infinite or NaN
    /// weights, a row of zeros, or more samples than a row has non-zero weights when drawing without replacement.
    /// </summary>
    /// <example><code>
    /// var probs = logits.Softmax(-1);                 // [batch, vocab]
    /// var next = probs.Multinomial(1, seed: 42);      // [batch, 1] int64 token ids
    /// </code></example>
    public Tensor Multinomial(int numSamples, bool replacement = false, int? seed = null)
    {
        const string op = "Multinomial";
        if (Rank is not (1 or 2))
            throw Errors.Arg(op, $"needs weights [C] or [N, C], got {Errors.Describe(this)}.");
        if (!DType.IsFloating())
            throw Errors.Arg(op, $"needs floating weights, got {DType.TorchName()}; convert with To(DType.Float32).");
        int categories = Shape[-1];
        if (numSamples < 1) throw Errors.Arg(op, $"numSamples must be at least 1, got {numSamples}.");
        if (categories == 0) throw Errors.Arg(op, $"the weights {Errors.Describe(this)} have no category to draw.");
        if (!replacement && numSamples > categories)
            throw Errors.Arg(op, $"cannot draw {numSamples} distinct samples from {categories} categories; pass replacement: true.");
        var w = Rank == 1 ? Unsqueeze(0) : this;
        using (Autograd.NoGrad())
        {
            var weights = w.Detach().To(DType.Float64);
            // Host checks, as PyTorch's: inside a compiled function they become guards on these values.
            if (!(weights.Min().Item<double>() >= 0) || !double.IsFinite(weights.Sum().Item<double>()))
                throw Errors.Arg(op, "weights must be finite and non-negative (got a negative, infinite or NaN weight).");
            var nonZero = weights.Gt(0).To(DType.Int64).Sum(-1);
            if (nonZero.Min().Item<long>() < (replacement ? 1 : numSamples))
                throw Errors.Arg(op, replacement ? "a row of weights is all zeros: it has no category to draw."
                    : $"a row has fewer than {numSamples} non-zero weights, too few for {numSamples} distinct samples without replacement.");
            var logW = weights.Log();                    // log 0 = -inf: a zero weight is never drawn
            int rows = weights.Shape[0];
            int draws = replacement ? numSamples : 1;
            var gumbel = -(-Rand([rows, draws, categories], DType.Float64, seed).Log()).Log();
            var keys = logW.Unsqueeze(1) + gumbel;       // [N, draws, C]
            var picked = replacement
                ? keys.ArgMax(-1)                          // [N, numSamples]
                : keys.Squeeze(1).TopK(numSamples).Indices;
            return Rank == 1 ? picked.Squeeze(0) : picked;
        }
    }
}
