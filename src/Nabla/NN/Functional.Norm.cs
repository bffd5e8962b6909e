using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Batch normalization (torch.nn.functional.batch_norm) of [N, C] or [N, C, ...] per channel (dim 1).
    /// In training, each channel is normalized with the batch mean and the biased batch variance, and
    /// the running statistics (when given) are updated in place: r ← (1 - momentum)·r + momentum·s, with the
    /// unbiased variance for <paramref name="runningVar"/>. Otherwise the running statistics are used.
    /// Then y = ŷ·weight + bias when those are given. Training needs more than one value per channel
    /// (exactly one is an error, as PyTorch); an input with no elements (a batch of 0) gives an empty result
    /// and leaves the running statistics as they are, in training too, as PyTorch.
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2) throw Errors.Arg("BatchNorm", $"input must be [N, C, ...] with at least 2 dims, got {Errors.Describe(input)}.");
        var x = FloatInput("BatchNorm", input);
        int c = x.Shape[1];
        foreach (var (name, t) in new[] { ("runningMean", runningMean), ("runningVar", runningVar), ("weight", weight), ("bias", bias) })
            if (t is not null && (t.Rank != 1 || t.Shape[0] != c))
                throw Errors.Arg("BatchNorm", $"{name} must be [{c}] (one per channel of the input {Errors.Describe(x)}), got {Errors.Describe(t)}.");
        var statShape = new int[x.Rank];
        Array.Fill(statShape, 1);
        statShape[1] = c;
        int[] axes = [0, .. Enumerable.Range(2, x.Rank - 2)];
        Tensor normalized;
        if (x.NumElements == 0)
        {
            // As PyTorch (batch_norm on an input with no elements): an empty result of the input's shape, the
            // running statistics untouched (an empty batch has no statistics), in training as in evaluation;
            // weight and bias still get gradients, zeros of their shape. A copy, not the input itself.
            normalized = x.Clone();
        }
        else if (training)
        {
            long n = x.NumElements / c;
            if (n == 1)
                throw Errors.Arg("BatchNorm", $"training needs more than 1 value per channel, got input {Errors.Describe(x)}; use a larger batch or Eval().");
            // The count as a tensor op, not the number n: a graph traced with a dynamic batch divides by each call's count.
            var count = x.CountAlong(axes, DType.Float64);
            var divisor = count.To(x.DType);
            var mean = x.SumKeepAxes(axes) / divisor;
            var diff = x - mean;
            var variance = (diff * diff).SumKeepAxes(axes) / divisor;
            normalized = diff * (variance + eps).Rsqrt();
            using (Autograd.NoGrad())
            {
                if (runningMean is not null)
                    runningMean.CopyFrom(runningMean * (1 - momentum) + mean.Detach().Reshape(c) * momentum);
                if (runningVar is not null)
                    runningVar.CopyFrom(runningVar * (1 - momentum) + variance.Detach().Reshape(c) * (count * momentum / (count - 1)).To(x.DType));
            }
        }
        else
        {
            if (runningMean is null || runningVar is null)
                throw Errors.Arg("BatchNorm", "evaluation (training: false) needs runningMean and runningVar.");
            normalized = (x - runningMean.Reshape(statShape)) * (runningVar.Reshape(statShape) + eps).Rsqrt();
        }
        if (weight is not null) normalized = normalized * weight.Reshape(statShape);
        if (bias is not null) normalized = normalized + bias.Reshape(statShape);
        return normalized;
    }

    /// <summary>
    /// Layer normalization (torch.nn.functional.layer_norm) over the trailing dims given by
    /// <paramref name="normalizedShape"/>: y = (x - mean)/√(var + eps)·weight + bias with the biased
    /// variance; weight and bias (optional) have shape <paramref name="normalizedShape"/>.
    /// </summary>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(normalizedShape);
        var x = FloatInput("LayerNorm", input);
        int k = normalizedShape.Length;
        var shape = x.Shape.ToArray();
        if (k == 0 || k > x.Rank || !shape[(x.Rank - k)..].SequenceEqual(normalizedShape))
            throw Errors.Arg("LayerNorm", $"the input {Errors.Describe(x)} must end in the normalized shape {Shape.Format(normalizedShape)}.");
        foreach (var (name, t) in new[] { ("weight", weight), ("bias", bias) })
            if (t is not null && !t.Shape.ToArray().SequenceEqual(normalizedShape))
                throw Errors.Arg("LayerNorm", $"{name} must have the normalized shape {Shape.Format(normalizedShape)}, got {Errors.Describe(t)}.");
        int[] axes = [.. Enumerable.Range(x.Rank - k, k)];
        double n = 1;
        foreach (var d in normalizedShape) n *= d;
        var diff = x - x.SumKeepAxes(axes) / n;
        var y = diff * ((diff * diff).SumKeepAxes(axes) / n + eps).Rsqrt();
        if (weight is not null) y = y * weight;
        if (bias is not null) y = y + bias;
        return y;
    }
}
