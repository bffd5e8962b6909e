using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Instance normalization (torch.nn.functional.instance_norm) of [N, C, ...] (at least one spatial dim):
    /// with <paramref name="useInputStats"/> (the default) every (sample, channel) plane is normalized by its
    /// own mean and biased variance over the spatial dims, and the running statistics, when given, are
    /// updated in place with the batch average of those: r ← (1 - momentum)·r + momentum·s (the unbiased
    /// variance for <paramref name="runningVar"/>). Otherwise the running statistics [C] normalize. Then
    /// y = ŷ·weight + bias per channel when those are given. Input statistics need more than one spatial element.
    /// </summary>
    public static Tensor InstanceNorm(Tensor input, Tensor? runningMean = null, Tensor? runningVar = null, Tensor? weight = null, Tensor? bias = null,
        bool useInputStats = true, double momentum = 0.1, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 3) throw Errors.Arg("InstanceNorm", $"input must be [N, C, ...] with at least one spatial dim, got {Errors.Describe(input)}.");
        var x = FloatInput("InstanceNorm", input);
        int n = x.Shape[0], c = x.Shape[1];
        foreach (var (name, t) in new[] { ("runningMean", runningMean), ("runningVar", runningVar), ("weight", weight), ("bias", bias) })
            if (t is not null && (t.Rank != 1 || t.Shape[0] != c))
                throw Errors.Arg("InstanceNorm", $"{name} must be [{c}] (one per channel of the input {Errors.Describe(x)}), got {Errors.Describe(t)}.");
        var statShape = new int[x.Rank];
        Array.Fill(statShape, 1);
        statShape[1] = c;
        int[] spatial = [.. Enumerable.Range(2, x.Rank - 2)];
        long count = x.NumElements / Math.Max(1L, (long)n * c);
        Tensor normalized;
        if (useInputStats)
        {
            if (n * c > 0 && count <= 1)
                throw Errors.Arg("InstanceNorm", $"input statistics need more than 1 spatial element per channel, got input {Errors.Describe(x)}.");
            var mean = x.Mean(spatial, keepDim: true);                                     // [N, C, 1, ...]
            var diff = x - mean;
            var variance = (diff * diff).Mean(spatial, keepDim: true);
            normalized = diff * (variance + eps).Rsqrt();
            if (n > 0 && (runningMean is not null || runningVar is not null))
                using (Autograd.NoGrad())
                {
                    // The batch average of the per-instance statistics, as PyTorch (which runs batch norm on [1, N·C, ...]).
                    if (runningMean is not null)
                        runningMean.CopyFrom(runningMean * (1 - momentum) + mean.Detach().Reshape(n, c).Mean(0) * momentum);
                    if (runningVar is not null)
                        runningVar.CopyFrom(runningVar * (1 - momentum) + variance.Detach().Reshape(n, c).Mean(0) * (momentum * count / (count - 1)));
                }
        }
        else
        {
            if (runningMean is null || runningVar is null)
                throw Errors.Arg("InstanceNorm", "useInputStats: false needs runningMean and runningVar.");
            normalized = (x - runningMean.Reshape(statShape)) * (runningVar.Reshape(statShape) + eps).Rsqrt();
        }
        if (weight is not null) normalized = normalized * weight.Reshape(statShape);
        if (bias is not null) normalized = normalized + bias.Reshape(statShape);
        return normalized;
    }
}
