using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Group normalization (torch.nn.functional.group_norm) of [N, C, ...]: the C channels are split into
    /// <paramref name="numGroups"/> consecutive groups, and each (sample, group) is normalized by its own mean
    /// and biased variance over the group's channels and all spatial dims; then y = ŷ·weight + bias per
    /// channel when those ([C]) are given. C must be divisible by <paramref name="numGroups"/>. As PyTorch, an
    /// input whose batch holds a single value per group in all (N·C/G·spatial = 1) is an error.
    /// </summary>
    public static Tensor GroupNorm(Tensor input, int numGroups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2) throw Errors.Arg("GroupNorm", $"input must be [N, C, ...] with at least 2 dims, got {Errors.Describe(input)}.");
        var x = FloatInput("GroupNorm", input);
        int n = x.Shape[0], c = x.Shape[1];
        if (numGroups < 1 || c % numGroups != 0)
            throw Errors.Arg("GroupNorm", $"the number of channels {c} of the input {Errors.Describe(x)} must be divisible by numGroups = {numGroups} (a positive count).");
        foreach (var (name, t) in new[] { ("weight", weight), ("bias", bias) })
            if (t is not null && (t.Rank != 1 || t.Shape[0] != c))
                throw Errors.Arg("GroupNorm", $"{name} must be [{c}] (one per channel of the input {Errors.Describe(x)}), got {Errors.Describe(t)}.");
        long spatial = 1;
        for (int d = 2; d < x.Rank; d++) spatial *= x.Shape[d];
        long groupSize = c / numGroups * spatial;
        // PyTorch's batch-size check (it treats the call as a training-mode batch norm of [N·C/G, G, ...]).
        if ((long)n * groupSize == 1)
            throw Errors.Arg("GroupNorm", $"needs more than 1 value per group, got input {Errors.Describe(x)} with {numGroups} groups.");
        var shape = x.Shape.ToArray();
        // [N, G, C/G·spatial]: the statistics of one group are those of one row.
        var grouped = x.Reshape(n, numGroups, checked((int)groupSize));
        var mean = grouped.Mean([2], keepDim: true);
        var diff = grouped - mean;
        var variance = (diff * diff).Mean([2], keepDim: true);
        var y = (diff * (variance + eps).Rsqrt()).Reshape(shape);
        var channelShape = new int[x.Rank];
        Array.Fill(channelShape, 1);
        channelShape[1] = c;
        if (weight is not null) y = y * weight.Reshape(channelShape);
        if (bias is not null) y = y + bias.Reshape(channelShape);
        return y;
    }

    /// <summary>
    /// Root-mean-square normalization (torch.nn.functional.rms_norm) over the trailing dims given by
    /// <paramref name="normalizedShape"/>: y = x / √(mean(x²) + eps)·weight, with no mean subtraction and no
    /// bias; weight (optional) has shape <paramref name="normalizedShape"/>. A null <paramref name="eps"/> is the
    /// machine epsilon of the input's dtype (torch.finfo(x.dtype).eps: 2⁻²³ for float32, 2⁻⁵² for float64).
    /// </summary>
    public static Tensor RmsNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, double? eps = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(normalizedShape);
        var x = FloatInput("RmsNorm", input);
        int k = normalizedShape.Length;
        var shape = x.Shape.ToArray();
        if (k == 0 || k > x.Rank || !shape[(x.Rank - k)..].SequenceEqual(normalizedShape))
            throw Errors.Arg("RmsNorm", $"the input {Errors.Describe(x)} must end in the normalized shape {Shape.Format(normalizedShape)}.");
        if (weight is not null && !weight.Shape.ToArray().SequenceEqual(normalizedShape))
            throw Errors.Arg("RmsNorm", $"weight must have the normalized shape {Shape.Format(normalizedShape)}, got {Errors.Describe(weight)}.");
        int[] axes = [.. Enumerable.Range(x.Rank - k, k)];
        var y = x * ((x * x).Mean(axes, keepDim: true) + (eps ?? MachineEpsilon(x.DType))).Rsqrt();
        return weight is null ? y : y * weight;
    }

    /// <summary>
    /// RMS normalization over the last dim of size <paramref name="normalizedShape"/> (torch.nn.functional.rms_norm
    /// with an int normalized_shape). See <see cref="RmsNorm(Tensor, int[], Tensor?, double?)"/>.
    /// </summary>
    public static Tensor RmsNorm(Tensor input, int normalizedShape, Tensor? weight = null, double? eps = null) =>
        RmsNorm(input, [normalizedShape], weight, eps);

    /// <summary>torch.finfo(dtype).eps: the gap between 1 and the next representable number.</summary>
    internal static double MachineEpsilon(DType dtype) =>
        dtype == DType.Float32 ? MathF.BitIncrement(1f) - 1f : Math.BitIncrement(1.0) - 1.0;
}
