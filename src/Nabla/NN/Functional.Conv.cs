using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// im2col (torch.nn.functional.unfold): every kernel-sized window of <paramref name="input"/>
    /// [B, C, H, W] (zero padded, dilated, strided) as a column of the result [B, C·kh·kw, L] with
    /// L = OH·OW window positions; row (c·kh + i)·kw + j. Linear; its transpose is <see cref="Fold"/>.
    /// See <see cref="Tensor.Im2Col"/>.
    /// </summary>
    public static Tensor Unfold(Tensor input, Size2 kernelSize, Size2? dilation = null, Size2? padding = null, Size2? stride = null) =>
        Tensor.Im2Col(input, Pair(kernelSize), Pair(dilation), Pair(padding), Pair(stride));

    /// <summary>
    /// col2im (torch.nn.functional.fold), <see cref="Unfold"/>'s transpose: columns [B, C·kh·kw, L] summed
    /// into an image [B, C, H, W] of size <paramref name="outputSize"/>; overlapping windows add up and
    /// values that fall in the padding are dropped. L must equal the number of window positions.
    /// See <see cref="Tensor.Col2Im"/>.
    /// </summary>
    public static Tensor Fold(Tensor input, Size2 outputSize, Size2 kernelSize, Size2? dilation = null, Size2? padding = null, Size2? stride = null) =>
        Tensor.Col2Im(input, Pair(outputSize), Pair(kernelSize), Pair(dilation), Pair(padding), Pair(stride));

    /// <summary>
    /// 2-d convolution (cross-correlation, as torch.nn.functional.conv2d) of <paramref name="input"/>
    /// [B, C, H, W] (or unbatched [C, H, W]) with <paramref name="weight"/> [O, C/groups, kh, kw] and an
    /// optional <paramref name="bias"/> [O]: im2col (<see cref="Unfold"/>) followed by one MatMul per group
    /// over the whole batch. Output [B, O, OH, OW] with OH = (H + 2·ph - dh·(kh-1) - 1)/sh + 1 (floor), likewise OW.
    /// Stride and dilation default to 1, padding (zeros) to 0. See <see cref="Tensor.Conv2d"/>.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Size2? stride = null, Size2? padding = null,
        Size2? dilation = null, int groups = 1) =>
        Tensor.Conv2d(input, weight, bias, Pair(stride), Pair(padding), Pair(dilation), groups);

    /// <summary>
    /// 2-d max pooling (torch.nn.functional.max_pool2d) of [B, C, H, W] (or [C, H, W]); stride defaults to
    /// the kernel size; padding (at most half the kernel) counts as -∞. NaN in a window gives NaN.
    /// When several elements of a window tie for the maximum, the whole gradient goes to the first of them
    /// (row-major within the window), as PyTorch; a window holding NaN sends it to its last NaN.
    /// <paramref name="ceilMode"/> rounds the output size up, as torch's ceil_mode (see <see cref="Tensor.MaxPool2d"/>);
    /// <see cref="MaxPool2dWithIndices"/> also returns the argmax positions.
    /// </summary>
    public static Tensor MaxPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null,
        bool ceilMode = false) =>
        Tensor.MaxPool2d(input, Pair(kernelSize), Pair(stride), Pair(padding), Pair(dilation), ceilMode);

    /// <summary>
    /// 2-d average pooling (torch.nn.functional.avg_pool2d) of [B, C, H, W] (or [C, H, W]); stride defaults
    /// to the kernel size. With <paramref name="countIncludePad"/> (the default) padded zeros count in the
    /// divisor (kh·kw); otherwise each window is divided by its number of real elements. <paramref name="ceilMode"/>
    /// rounds the output size up and <paramref name="divisorOverride"/> replaces every divisor, as torch's
    /// ceil_mode and divisor_override (see <see cref="Tensor.AvgPool2d"/>).
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null, bool countIncludePad = true,
        bool ceilMode = false, int? divisorOverride = null) =>
        Tensor.AvgPool2d(input, Pair(kernelSize), Pair(stride), Pair(padding), countIncludePad, ceilMode, divisorOverride);

    static (int H, int W) Pair(Size2 s) => (s.H, s.W);

    static (int H, int W)? Pair(Size2? s) => s is { } v ? (v.H, v.W) : null;

    static Tensor FloatInput(string op, Tensor x) => x.DType.IsFloating() ? x
        : throw Errors.Arg(op, $"needs a floating input (float32 or float64), got {x.DType.TorchName()}; convert with To(DType.Float32).");
}
