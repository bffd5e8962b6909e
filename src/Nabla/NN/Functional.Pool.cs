using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// <see cref="MaxPool2d"/> that also returns, for every output, the flat position ih·W + iw of its
    /// window's maximum in the input's H·W plane (int64, the values' shape), as torch's
    /// max_pool2d(..., return_indices=True); <see cref="MaxUnpool2d"/> reads them.
    /// </summary>
    public static (Tensor Values, Tensor Indices) MaxPool2dWithIndices(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null,
        Size2? dilation = null, bool ceilMode = false)
    {
        var (values, indices) = Tensor.MaxPool2dCore("MaxPool2d", input, Pair(kernelSize), Pair(stride), Pair(padding), Pair(dilation ?? 1), ceilMode, withIndices: true);
        return (values, indices!);
    }

    /// <summary>
    /// 1-d max pooling (torch.nn.functional.max_pool1d) of [B, C, L] (or [C, L]); stride defaults to the
    /// kernel size; padding (at most half the kernel) counts as -∞. OL = (L + 2·padding - dilation·(k-1) - 1)/stride + 1,
    /// rounded up with <paramref name="ceilMode"/>. Ties and NaN as <see cref="MaxPool2d"/>.
    /// </summary>
    public static Tensor MaxPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        MaxPool1dWithIndicesCore(input, kernelSize, stride, padding, dilation, ceilMode, withIndices: false).Values;

    /// <summary><see cref="MaxPool1d"/> with the argmax positions along L (int64), as torch's return_indices.</summary>
    public static (Tensor Values, Tensor Indices) MaxPool1dWithIndices(Tensor input, int kernelSize, int? stride = null, int padding = 0,
        int dilation = 1, bool ceilMode = false)
    {
        var (values, indices) = MaxPool1dWithIndicesCore(input, kernelSize, stride, padding, dilation, ceilMode, withIndices: true);
        return (values, indices!);
    }

    static (Tensor Values, Tensor? Indices) MaxPool1dWithIndicesCore(Tensor input, int k, int? stride, int padding, int dilation, bool ceilMode, bool withIndices)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (2 or 3)) throw Errors.Arg("MaxPool1d", $"input must be 3-d [B, C, L] (or 2-d unbatched), got {Errors.Describe(input)}.");
        // A height-1 image: the positions in its 1×L plane are the positions along L.
        var (values, indices) = Tensor.MaxPool2dCore("MaxPool1d", input.Unsqueeze(-2), (1, k), (1, stride ?? k), (0, padding), (1, dilation), ceilMode, withIndices);
        return (values.Squeeze(-2), indices?.Squeeze(-2));
    }

    /// <summary>
    /// 1-d average pooling (torch.nn.functional.avg_pool1d) of [B, C, L] (or [C, L]); stride defaults to the
    /// kernel size; <paramref name="countIncludePad"/> and <paramref name="ceilMode"/> as <see cref="AvgPool2d"/>.
    /// </summary>
    public static Tensor AvgPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (2 or 3)) throw Errors.Arg("AvgPool1d", $"input must be 3-d [B, C, L] (or 2-d unbatched), got {Errors.Describe(input)}.");
        return Tensor.AvgPool2dCore("AvgPool1d", input.Unsqueeze(-2), (1, kernelSize), (1, stride ?? kernelSize), (0, padding), countIncludePad, ceilMode, null)
            .Squeeze(-2);
    }

    /// <summary>
    /// The partial inverse of <see cref="MaxPool2dWithIndices"/> (torch.nn.functional.max_unpool2d): each
    /// value of <paramref name="input"/> [B, C, H, W] (or [C, H, W]) is put at its flat position
    /// (<paramref name="indices"/>, same shape, int64 or int32) of an output plane that is zero elsewhere.
    /// The output is [B, C, OH, OW] with OH = (H - 1)·sh - 2·ph + kh unless <paramref name="outputSize"/>
    /// gives it (within a stride of that size, as PyTorch). Stride defaults to the kernel size. A position
    /// named by several inputs (overlapping pooling windows sharing a maximum) receives their mean, which
    /// is the shared maximum for indices from max pooling (PyTorch keeps one of them). Indices must lie in 0..OH·OW-1.
    /// </summary>
    public static Tensor MaxUnpool2d(Tensor input, Tensor indices, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? outputSize = null) =>
        MaxUnpool("MaxUnpool2d", input, indices, kernelSize, stride ?? kernelSize, padding ?? 0, outputSize, oneD: false);

    /// <summary>
    /// The partial inverse of <see cref="MaxPool1dWithIndices"/> (torch.nn.functional.max_unpool1d): [B, C, L]
    /// (or [C, L]) to [B, C, (L - 1)·stride - 2·padding + k] (or <paramref name="outputSize"/>). See <see cref="MaxUnpool2d"/>.
    /// </summary>
    public static Tensor MaxUnpool1d(Tensor input, Tensor indices, int kernelSize, int? stride = null, int padding = 0, int? outputSize = null) =>
        MaxUnpool("MaxUnpool1d", input, indices, (1, kernelSize), (1, stride ?? kernelSize), (0, padding),
            outputSize is int o ? (1, o) : null, oneD: true);

    static Tensor MaxUnpool(string op, Tensor input, Tensor indices, Size2 k, Size2 s, Size2 p, Size2? outputSize, bool oneD)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(indices);
        int rank = oneD ? 3 : 4;
        if (input.Rank != rank && input.Rank != rank - 1)
            throw Errors.Arg(op, $"input must be {rank}-d (or {rank - 1}-d unbatched), got {Errors.Describe(input)}.");
        if (!indices.Shape.Span.SequenceEqual(input.Shape.Span))
            throw Errors.Arg(op, $"indices {Errors.Describe(indices)} must have the input's shape {input.Shape}.");
        if (indices.DType is not (DType.Int64 or DType.Int32))
            throw Errors.Arg(op, $"indices must be int64 (or int32), got {indices.DType.TorchName()}.");
        var x = FloatInput(op, input);
        bool unbatched = input.Rank == rank - 1;
        if (unbatched) (x, indices) = (x.Unsqueeze(0), indices.Unsqueeze(0));
        if (oneD) (x, indices) = (x.Unsqueeze(2), indices.Unsqueeze(2));
        if (k.H < 1 || k.W < 1 || s.H < 1 || s.W < 1 || p.H < 0 || p.W < 0)
            throw Errors.Arg(op, $"kernel size {Show(k, oneD)} and stride {Show(s, oneD)} must be positive and padding {Show(p, oneD)} not negative.");
        int b = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int dh = (h - 1) * s.H - 2 * p.H + k.H, dw = (w - 1) * s.W - 2 * p.W + k.W;
        var (oh, ow) = outputSize is { } os ? (os.H, os.W) : (dh, dw);
        // As PyTorch: a given size must lie strictly within one stride of the default.
        if (oh <= dh - s.H || oh >= dh + s.H || ow <= dw - s.W || ow >= dw + s.W || oh < 1 || ow < 1)
            throw Errors.Arg(op, $"output size {(oneD ? $"{ow}" : $"{oh}x{ow}")} must be positive and lie strictly between " +
                $"{(oneD ? $"{dw - s.W}" : $"{dh - s.H}x{dw - s.W}")} and {(oneD ? $"{dw + s.W}" : $"{dh + s.H}x{dw + s.W}")} for input {Errors.Describe(input)}.");
        int plane = oh * ow, l = h * w;
        var at = indices.Reshape(b, c, l);
        Dispatch.Check(at, new IndexRangeCheck(null, plane, null, $"{op}: index {{0}} is out of range for an output plane of {plane} elements; values must be in 0..{plane - 1}"));
        var values = x.Reshape(b, c, l);
        var zeros = Tensor.Zeros([b, c, plane], x.DType, device: x.Device);
        var sums = zeros.ScatterAdd(2, at, values);
        var counts = zeros.ScatterAdd(2, at, Tensor.OnesLike(values)).Clamp(min: 1);
        int[] shape = oneD ? [b, c, ow] : [b, c, oh, ow];
        var y = (sums / counts).Reshape(shape);
        return unbatched ? y.Squeeze(0) : y;
    }
}
