using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// torch.nn.functional.pad: (before, after) pairs from the last dim, with a <paramref name="mode"/> and, for
    /// <see cref="PadMode.Constant"/>, a fill <paramref name="value"/>; see <see cref="Tensor.Pad(int[], PadMode, double)"/>.
    /// </summary>
    public static Tensor Pad(Tensor input, int[] padding, PadMode mode = PadMode.Constant, double value = 0) =>
        NotNull(input).Pad(padding, mode, value);

    /// <summary>
    /// torch.nn.functional.pixel_shuffle: [*, C·r², H, W] → [*, C, H·r, W·r], channel c·r² + i·r + j going to
    /// row offset i and column offset j of each r×r block. A pure rearrangement (gradients move back).
    /// </summary>
    public static Tensor PixelShuffle(Tensor input, int upscaleFactor)
    {
        int r = upscaleFactor;
        var (lead, c, h, w) = PixelDims("PixelShuffle", input, r);
        if (c % (r * r) != 0)
            throw Errors.Arg("PixelShuffle", $"the channel dim ({c}) of {Errors.Describe(input)} must be divisible by upscaleFactor² = {r * r}.");
        int k = lead.Length;
        var y = input.Reshape([.. lead, c / (r * r), r, r, h, w]);
        y = y.Permute([.. Enumerable.Range(0, k), k, k + 3, k + 1, k + 4, k + 2]);
        return y.Reshape([.. lead, c / (r * r), h * r, w * r]);
    }

    /// <summary>
    /// torch.nn.functional.pixel_unshuffle, PixelShuffle's inverse: [*, C, H·r, W·r] → [*, C·r², H, W].
    /// </summary>
    public static Tensor PixelUnshuffle(Tensor input, int downscaleFactor)
    {
        int r = downscaleFactor;
        var (lead, c, h, w) = PixelDims("PixelUnshuffle", input, r);
        if (h % r != 0 || w % r != 0)
            throw Errors.Arg("PixelUnshuffle", $"the height and width ({h}, {w}) of {Errors.Describe(input)} must be divisible by downscaleFactor = {r}.");
        int k = lead.Length;
        var y = input.Reshape([.. lead, c, h / r, r, w / r, r]);
        y = y.Permute([.. Enumerable.Range(0, k), k, k + 2, k + 4, k + 1, k + 3]);
        return y.Reshape([.. lead, c * r * r, h / r, w / r]);
    }

    static (int[] Lead, int C, int H, int W) PixelDims(string op, Tensor input, int factor)
    {
        NotNull(input);
        if (factor <= 0) throw Errors.Arg(op, $"the factor must be positive, got {factor}.");
        if (input.Rank < 3) throw Errors.Arg(op, $"needs an input of at least 3 dims [*, C, H, W], got {Errors.Describe(input)}.");
        var shape = input.Shape.ToArray();
        return (shape[..^3], shape[^3], shape[^2], shape[^1]);
    }

    /// <summary>
    /// torch.nn.functional.bilinear: y[..., o] = Σᵢⱼ x1[..., i] · weight[o, i, j] · x2[..., j] + bias[o], for x1 [*, in1],
    /// x2 [*, in2] (the same leading dims), weight [out, in1, in2] and bias [out] (optional). Computed as one einsum.
    /// </summary>
    public static Tensor Bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias = null)
    {
        NotNull(input1);
        NotNull(input2);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 3)
            throw Errors.Arg("Bilinear", $"weight must be 3-d [out, in1, in2], got {Errors.Describe(weight)}.");
        if (input1.Rank == 0 || input1.Shape[-1] != weight.Shape[1] || input2.Rank == 0 || input2.Shape[-1] != weight.Shape[2])
            throw Errors.Arg("Bilinear", $"inputs {Errors.Describe(input1)} and {Errors.Describe(input2)} must end in in1 = {weight.Shape[1]} and in2 = {weight.Shape[2]} (weight {Errors.Describe(weight)}).");
        if (!input1.Shape.Span[..^1].SequenceEqual(input2.Shape.Span[..^1]))
            throw Errors.Arg("Bilinear", $"inputs {Errors.Describe(input1)} and {Errors.Describe(input2)} must have the same leading dims.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0]))
            throw Errors.Arg("Bilinear", $"bias must be [{weight.Shape[0]}], got {Errors.Describe(bias)}.");
        var y = Tensor.Einsum("...i,oij,...j->...o", input1, weight, input2);
        return bias is null ? y : y + bias;
    }

    /// <summary>
    /// torch.nn.functional.one_hot: an int64 tensor of the indices' shape plus a last dim of <paramref name="numClasses"/>,
    /// 1 at each index and 0 elsewhere. With -1 (the default) the class count is the largest index + 1 (an error for an
    /// empty tensor). Indices must be int64 or int32, non-negative and below the class count. No gradient (integers).
    /// </summary>
    public static Tensor OneHot(Tensor indices, int numClasses = -1)
    {
        NotNull(indices);
        if (!indices.DType.IsInteger())
            throw Errors.Arg("OneHot", $"indices must be int64 or int32, got {Errors.Describe(indices)}.");
        if (numClasses < -1)
            throw Errors.Arg("OneHot", $"numClasses must be -1 (infer) or at least 0, got {numClasses}.");
        var values = indices.To(DType.Int64).ToArray<long>();
        if (numClasses == -1 && values.Length == 0)
            throw Errors.Arg("OneHot", $"cannot infer the number of classes from an empty tensor {Errors.Describe(indices)}; pass numClasses.");
        if (values.Length > 0 && values.Min() < 0)
            throw Errors.Arg("OneHot", $"indices must be non-negative, got {values.Min()} in {Errors.Describe(indices)}.");
        long classes = numClasses == -1 ? values.Max() + 1 : numClasses;
        if (values.Length > 0 && values.Max() >= classes)
            throw Errors.Arg("OneHot", $"index {values.Max()} is out of range for numClasses = {classes}; indices must be below it.");
        var classIds = Tensor.Arange((int)classes, DType.Int64, indices.Device);
        return indices.To(DType.Int64).Unsqueeze(-1).Eq(classIds).To(DType.Int64);
    }
}
