using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Adaptive 1-d average pooling (torch.nn.functional.adaptive_avg_pool1d) of [B, C, L] (or [C, L]) to
    /// [B, C, <paramref name="outputSize"/>]: output i averages the input from ⌊i·L/out⌋ to ⌈(i+1)·L/out⌉ (exclusive).
    /// </summary>
    public static Tensor AdaptiveAvgPool1d(Tensor input, int outputSize) => Adaptive("AdaptiveAvgPool1d", input, (1, outputSize), oneD: true, max: false, withIndices: false).Values;

    /// <summary>
    /// Adaptive 2-d average pooling (torch.nn.functional.adaptive_avg_pool2d) of [B, C, H, W] (or [C, H, W])
    /// to [B, C, oh, ow]: output (i, j) averages rows ⌊i·H/oh⌋ to ⌈(i+1)·H/oh⌉ (exclusive) and likewise columns.
    /// A null size keeps that dim's input size; <c>AdaptiveAvgPool2d(x, 1)</c> is a global average pool.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, (int? H, int? W) outputSize) => Adaptive("AdaptiveAvgPool2d", input, outputSize, oneD: false, max: false, withIndices: false).Values;

    /// <summary>Adaptive 2-d average pooling to a square <paramref name="outputSize"/>; see <see cref="AdaptiveAvgPool2d(Tensor, ValueTuple{int?, int?})"/>.</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outputSize) => AdaptiveAvgPool2d(input, (outputSize, outputSize));

    /// <summary>
    /// Adaptive 1-d max pooling (torch.nn.functional.adaptive_max_pool1d) over the windows of
    /// <see cref="AdaptiveAvgPool1d"/>. Ties send the gradient to the first maximum; a window holding NaN gives NaN
    /// (its last NaN is the argmax, as PyTorch).
    /// </summary>
    public static Tensor AdaptiveMaxPool1d(Tensor input, int outputSize) => Adaptive("AdaptiveMaxPool1d", input, (1, outputSize), oneD: true, max: true, withIndices: false).Values;

    /// <summary><see cref="AdaptiveMaxPool1d"/> with the argmax positions along L (int64), as torch's return_indices.</summary>
    public static (Tensor Values, Tensor Indices) AdaptiveMaxPool1dWithIndices(Tensor input, int outputSize)
    {
        var (values, indices) = Adaptive("AdaptiveMaxPool1d", input, (1, outputSize), oneD: true, max: true, withIndices: true);
        return (values, indices!);
    }

    /// <summary>
    /// Adaptive 2-d max pooling (torch.nn.functional.adaptive_max_pool2d) over the windows of
    /// <see cref="AdaptiveAvgPool2d(Tensor, ValueTuple{int?, int?})"/> (null keeps a dim). Ties send the
    /// gradient to the first maximum in row-major order; a window holding NaN gives NaN (its last NaN is the argmax, as PyTorch).
    /// </summary>
    public static Tensor AdaptiveMaxPool2d(Tensor input, (int? H, int? W) outputSize) => Adaptive("AdaptiveMaxPool2d", input, outputSize, oneD: false, max: true, withIndices: false).Values;

    /// <summary>Adaptive 2-d max pooling to a square <paramref name="outputSize"/>.</summary>
    public static Tensor AdaptiveMaxPool2d(Tensor input, int outputSize) => AdaptiveMaxPool2d(input, (outputSize, outputSize));

    /// <summary>
    /// <see cref="AdaptiveMaxPool2d(Tensor, ValueTuple{int?, int?})"/> with, for every output, the flat position ih·W + iw of
    /// its maximum in the input's H·W plane (int64), as torch's return_indices.
    /// </summary>
    public static (Tensor Values, Tensor Indices) AdaptiveMaxPool2dWithIndices(Tensor input, (int? H, int? W) outputSize)
    {
        var (values, indices) = Adaptive("AdaptiveMaxPool2d", input, outputSize, oneD: false, max: true, withIndices: true);
        return (values, indices!);
    }

    static (Tensor Values, Tensor? Indices) Adaptive(string op, Tensor input, (int? H, int? W) size, bool oneD, bool max, bool withIndices)
    {
        ArgumentNullException.ThrowIfNull(input);
        int rank = oneD ? 3 : 4;
        if (input.Rank != rank && input.Rank != rank - 1)
            throw Errors.Arg(op, $"input must be {rank}-d {(oneD ? "[B, C, L]" : "[B, C, H, W]")} (or {rank - 1}-d unbatched), got {Errors.Describe(input)}.");
        var x = FloatInput(op, input);
        bool unbatched = input.Rank == rank - 1;
        if (unbatched) x = x.Unsqueeze(0);
        if (oneD) x = x.Unsqueeze(2);
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int oh = size.H ?? h, ow = size.W ?? w;
        if (oh < 1 || ow < 1 || h < 1 || w < 1)
            throw Errors.Arg(op, $"output size {(oneD ? $"{ow}" : $"({oh}, {ow})")} and the pooled dims of the input {Errors.Describe(input)} must be positive.");
        int[] shape = oneD ? [n, c, ow] : [n, c, oh, ow];
        Tensor values;
        Tensor? indices = null;
        if (!max)
        {
            // Averages as products with [out, in] pooling matrices (1/count inside each window): linear, exact.
            values = x;
            if (ow != w) values = values.MatMul(PoolingMatrix(w, ow, x).Transpose(0, 1));
            if (oh != h) values = PoolingMatrix(h, oh, x).MatMul(values);
        }
        else
        {
            // Each window gathered to the largest window's size (short windows repeat their last element,
            // which changes neither the maximum nor which element comes first), then one argmax per window.
            var (rows, kh) = WindowIndices(h, oh);
            var (cols, kw) = WindowIndices(w, ow);
            var windows = x.IndexSelect(2, Tensor.FromArray(rows, [rows.Length]).To(x.Device))
                .IndexSelect(3, Tensor.FromArray(cols, [cols.Length]).To(x.Device))
                .Reshape(n, c, oh, kh, ow, kw).Permute(0, 1, 2, 4, 3, 5).Reshape(n, c, oh, ow, kh * kw);
            // The first maximum, except that a NaN takes over and the last NaN wins (PyTorch's loop: v > max || isnan(v)).
            // The padded repeats keep the elements' last occurrences in row-major order, so the last NaN found is the real one.
            var nan = windows.Ne(windows).To(DType.Int32);
            var lastNan = Tensor.Full([], kh * kw - 1, DType.Int64, device: x.Device) - nan.Flip(4).ArgMax(4, keepDim: true);
            var at = Tensor.Where(nan.Max(4, keepDim: true).Gt(0), lastNan, windows.ArgMax(4, keepDim: true));
            values = windows.Gather(4, at).Reshape(shape);
            if (withIndices)
            {
                var flat = new long[oh * ow * kh * kw];
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                        for (int p = 0; p < kh; p++)
                            for (int q = 0; q < kw; q++)
                                flat[((i * ow + j) * kh + p) * kw + q] = rows[i * kh + p] * w + cols[j * kw + q];
                indices = Tensor.FromArray(flat, [1, 1, oh, ow, kh * kw]).To(x.Device).Expand(n, c, oh, ow, kh * kw).Gather(4, at).Reshape(shape);
            }
        }
        values = values.Reshape(shape);
        return unbatched ? (values.Squeeze(0), indices?.Squeeze(0)) : (values, indices);
    }

    /// <summary>Window i of torch's adaptive pooling: ⌊i·size/outputs⌋ to ⌈(i+1)·size/outputs⌉ (exclusive).</summary>
    static (int Start, int End) AdaptiveWindow(int i, int size, int outputs) =>
        ((int)((long)i * size / outputs), (int)(((long)(i + 1) * size + outputs - 1) / outputs));

    /// <summary>[outputs, size] with 1/count over each window: the average as a matrix, in the dtype and device of <paramref name="like"/>.</summary>
    static Tensor PoolingMatrix(int size, int outputs, Tensor like)
    {
        var m = new double[outputs * size];
        for (int i = 0; i < outputs; i++)
        {
            var (start, end) = AdaptiveWindow(i, size, outputs);
            for (int j = start; j < end; j++) m[i * size + j] = 1.0 / (end - start);
        }
        return Tensor.FromArray(m, [outputs, size]).To(like.DType).To(like.Device);
    }

    /// <summary>Every window's input positions padded to the widest window k by repeating its last one: [outputs·k], and k.</summary>
    static (long[] Positions, int K) WindowIndices(int size, int outputs)
    {
        int k = 0;
        for (int i = 0; i < outputs; i++)
        {
            var (start, end) = AdaptiveWindow(i, size, outputs);
            k = Math.Max(k, end - start);
        }
        var positions = new long[outputs * k];
        for (int i = 0; i < outputs; i++)
        {
            var (start, end) = AdaptiveWindow(i, size, outputs);
            for (int j = 0; j < k; j++) positions[i * k + j] = Math.Min(start + j, end - 1);
        }
        return (positions, k);
    }
}
