using Nabla.Engine;
using Nabla.Primitives.Movement;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// im2col (torch.nn.functional.unfold): every kernel-sized window of <paramref name="input"/>
    /// [B, C, H, W] (zero padded, dilated, strided) as a column of the result [B, C·kh·kw, L] with
    /// L = OH·OW window positions; row (c·kh + i)·kw + j. Linear; its transpose is <see cref="Col2Im"/>.
    /// Stride and dilation default to 1, padding to 0. Needs a floating input.
    /// </summary>
    /// <example><code>
    /// var cols = Tensor.Im2Col(images, (3, 3), padding: (1, 1));   // [B, C·9, H·W]
    /// </code></example>
    public static Tensor Im2Col(Tensor input, (int H, int W) kernelSize, (int H, int W)? dilation = null, (int H, int W)? padding = null,
        (int H, int W)? stride = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw Errors.Arg("Unfold", $"input must be 4-d [B, C, H, W], got {Errors.Describe(input)}.");
        var g = Geometry("Unfold", input.Shape[1], input.Shape[2], input.Shape[3], kernelSize, stride ?? (1, 1), padding ?? (0, 0), dilation ?? (1, 1));
        return Dispatch.Call(new Unfold(g), FloatingInput("Unfold", input));
    }

    /// <summary>
    /// col2im (torch.nn.functional.fold), <see cref="Im2Col"/>'s transpose: columns [B, C·kh·kw, L] summed
    /// into an image [B, C, H, W] of size <paramref name="outputSize"/>; overlapping windows add up and
    /// values that fall in the padding are dropped. L must equal the number of window positions.
    /// </summary>
    public static Tensor Col2Im(Tensor input, (int H, int W) outputSize, (int H, int W) kernelSize, (int H, int W)? dilation = null,
        (int H, int W)? padding = null, (int H, int W)? stride = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3) throw Errors.Arg("Fold", $"input must be 3-d [B, C*kh*kw, L], got {Errors.Describe(input)}.");
        int k = kernelSize.H * kernelSize.W;
        if (k <= 0 || input.Shape[1] % k != 0)
            throw Errors.Arg("Fold", $"dim 1 of the input {Errors.Describe(input)} must be a multiple of kh*kw = {k}.");
        var g = Geometry("Fold", input.Shape[1] / k, outputSize.H, outputSize.W, kernelSize, stride ?? (1, 1), padding ?? (0, 0), dilation ?? (1, 1));
        if (input.Shape[2] != g.L)
            throw Errors.Arg("Fold", $"the input has {input.Shape[2]} window positions but an output of {outputSize.H}x{outputSize.W} with this kernel, stride, padding and dilation has {g.OH}x{g.OW} = {g.L}.");
        return Dispatch.Call(new Fold(g), FloatingInput("Fold", input));
    }

    /// <summary>
    /// 2-d convolution (cross-correlation, as torch.conv2d) of <paramref name="input"/> [B, C, H, W] (or
    /// unbatched [C, H, W]) with <paramref name="weight"/> [O, C/groups, kh, kw] and an optional
    /// <paramref name="bias"/> [O]: im2col followed by one MatMul per group over the whole batch. Output
    /// [B, O, OH, OW] with OH = (H + 2·ph - dh·(kh-1) - 1)/sh + 1 (floor), likewise OW. Stride and dilation
    /// default to 1, padding (zeros) to 0. NaN/Inf in a window reach the outputs that read it.
    /// </summary>
    /// <example><code>
    /// var y = Tensor.Conv2d(images, weight, bias, padding: (1, 1));   // same spatial size for a 3x3 kernel
    /// </code></example>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, (int H, int W)? stride = null, (int H, int W)? padding = null,
        (int H, int W)? dilation = null, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank == 3) return Conv2d(input.Unsqueeze(0), weight, bias, stride, padding, dilation, groups).Squeeze(0);
        if (input.Rank != 4) throw Errors.Arg("Conv2d", $"input must be 4-d [B, C, H, W] (or 3-d unbatched), got {Errors.Describe(input)}.");
        if (weight.Rank != 4) throw Errors.Arg("Conv2d", $"weight must be 4-d [out, in/groups, kh, kw], got {Errors.Describe(weight)}.");
        if (input.DType != weight.DType)
            throw Errors.Arg("Conv2d", $"input is {input.DType.TorchName()} but weight is {weight.DType.TorchName()}; convert one with To(DType).");
        int b = input.Shape[0], c = input.Shape[1], o = weight.Shape[0], cg = weight.Shape[1];
        if (groups < 1 || o % groups != 0)
            throw Errors.Arg("Conv2d", $"groups = {groups} must be ≥ 1 and divide out_channels = {o}.");
        if (cg * groups != c)
            throw Errors.Arg("Conv2d", $"weight {Errors.Describe(weight)} expects {cg * groups} input channels (in/groups = {cg}, groups = {groups}) but the input {Errors.Describe(input)} has {c}.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != o))
            throw Errors.Arg("Conv2d", $"bias must be [{o}], got {Errors.Describe(bias)}.");
        var g = Geometry("Conv2d", c, input.Shape[2], input.Shape[3], (weight.Shape[2], weight.Shape[3]), stride ?? (1, 1), padding ?? (0, 0), dilation ?? (1, 1))
            with { RowsOuter = true };
        // Columns as [C·kh·kw, B·L]: the whole batch is one GEMM per group, and MatMul's rules give the
        // weight gradient as one GEMM over K = B·L and the columns' gradient as one GEMM, with no copies
        // but the [B, O, ...] ↔ [O, B, ...] reorder of the output gradient.
        int k = cg * g.Kh * g.Kw, n = b * g.L;
        var cols = Dispatch.Call(new Unfold(g), FloatingInput("Conv2d", input)).Reshape(groups, k, n);  // [G, K, B·L]
        var y = weight.Reshape(groups, o / groups, k).MatMul(cols).Reshape(o, n);                      // [O, B·L]
        // The bias is added before the reorder: the add runs over contiguous rows, and its gradient sums
        // contiguous rows of the reordered output gradient the GEMMs need anyway (no second reorder).
        if (bias is not null) y = y + bias.Reshape(o, 1);
        return y.Reshape(o, b, g.OH, g.OW).Permute(1, 0, 2, 3);                                        // [B, O, OH, OW] view
    }

    /// <summary>
    /// 2-d max pooling (torch.max_pool2d) of [B, C, H, W] (or [C, H, W]); stride defaults to the kernel size;
    /// padding (at most half the kernel) counts as -∞. NaN in a window gives NaN. When several elements of
    /// a window tie for the maximum, the whole gradient goes to the first of them (row-major within the
    /// window), as PyTorch; a window holding NaN sends it to its last NaN. With <paramref name="ceilMode"/>
    /// the output size rounds up (OH = ⌈(H + 2·ph - dh·(kh-1) - 1)/sh⌉ + 1), a last window that would start
    /// past the input and the left padding being dropped, as torch's ceil_mode.
    /// </summary>
    public static Tensor MaxPool2d(Tensor input, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null,
        (int H, int W)? dilation = null, bool ceilMode = false) =>
        MaxPool2dCore("MaxPool2d", input, kernelSize, stride, padding, dilation ?? (1, 1), ceilMode, withIndices: false).Values;

    /// <summary>
    /// 2-d average pooling (torch.avg_pool2d) of [B, C, H, W] (or [C, H, W]); stride defaults to the kernel
    /// size. With <paramref name="countIncludePad"/> (the default) padded zeros count in the divisor
    /// (kh·kw); otherwise each window is divided by its number of real elements. With <paramref name="ceilMode"/>
    /// the output size rounds up as in <see cref="MaxPool2d"/> (the part of a last window past the padding
    /// never counts); <paramref name="divisorOverride"/> (non-zero) replaces every divisor, as torch's divisor_override.
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null,
        bool countIncludePad = true, bool ceilMode = false, int? divisorOverride = null) =>
        AvgPool2dCore("AvgPool2d", input, kernelSize, stride, padding, countIncludePad, ceilMode, divisorOverride);

    /// <summary><see cref="AvgPool2d"/> whose errors name <paramref name="op"/> (AvgPool1d runs through it).</summary>
    internal static Tensor AvgPool2dCore(string op, Tensor input, (int H, int W) kernelSize, (int H, int W)? stride, (int H, int W)? padding,
        bool countIncludePad, bool ceilMode, int? divisorOverride)
    {
        if (ceilMode || divisorOverride is not null)
            return AvgPool2dDivided(op, input, kernelSize, stride, padding, countIncludePad, ceilMode, divisorOverride);
        var (x, g, shape) = PoolInput(op, input, kernelSize, stride, padding, (1, 1));
        int b = x.Shape[0], c = x.Shape[1];
        var cols = Dispatch.Call(new Unfold(g), x.Reshape(b * c, 1, g.H, g.W));                      // [B·C, kh·kw, L]
        if (countIncludePad || (g.Ph == 0 && g.Pw == 0)) return cols.Mean(1).Reshape(shape);
        // Each window's number of real elements: the columns of an image of ones.
        var inside = Dispatch.Call(new Unfold(g), Ones([1, 1, g.H, g.W], cols.DType, device: cols.Device)).Gt(0.5);
        return (cols.Sum(1) / inside.To(cols.DType).Sum(1)).Reshape(shape);
    }

    /// <summary>
    /// The floating input as [B, C, H, W], the per-plane geometry (C = 1), and the output shape. With
    /// <paramref name="ceilMode"/> the geometry's H and W include the rows and columns the last windows
    /// reach past the padding (the caller pads the input by g.H - H and g.W - W at the end).
    /// </summary>
    static (Tensor X, Im2Col G, int[] Shape) PoolInput(string op, Tensor input, (int H, int W) kernel, (int H, int W)? stride,
        (int H, int W)? padding, (int H, int W) dilation, bool ceilMode = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        bool unbatched = input.Rank == 3;
        if (input.Rank is not (3 or 4)) throw Errors.Arg(op, $"input must be 4-d [B, C, H, W] (or 3-d unbatched), got {Errors.Describe(input)}.");
        var x = unbatched ? input.Unsqueeze(0) : input;
        var p = padding ?? (0, 0);
        if (p.H > kernel.H / 2 || p.W > kernel.W / 2)
            throw Errors.Arg(op, $"padding {Size(p)} must be at most half the kernel size {Size(kernel)}.");
        int c = x.Shape[1];
        var g = Geometry(op, 1, x.Shape[2], x.Shape[3], kernel, stride ?? kernel, p, dilation);
        if (ceilMode) g = g with { H = g.H + CeilExtra(g.H, g.Kh, g.Sh, g.Ph, g.Dh), W = g.W + CeilExtra(g.W, g.Kw, g.Sw, g.Pw, g.Dw) };
        int[] shape = unbatched ? [c, g.OH, g.OW] : [x.Shape[0], c, g.OH, g.OW];
        return (FloatingInput(op, x), g, shape);
    }

    static Im2Col Geometry(string op, int c, int h, int w, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation)
    {
        if (kernel.H < 1 || kernel.W < 1) throw Errors.Arg(op, $"kernel size {Size(kernel)} must be positive.");
        if (stride.H < 1 || stride.W < 1) throw Errors.Arg(op, $"stride {Size(stride)} must be positive.");
        if (dilation.H < 1 || dilation.W < 1) throw Errors.Arg(op, $"dilation {Size(dilation)} must be positive.");
        if (padding.H < 0 || padding.W < 0) throw Errors.Arg(op, $"padding {Size(padding)} must not be negative.");
        var g = new Im2Col(c, h, w, kernel.H, kernel.W, stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W);
        if (h + 2 * padding.H - dilation.H * (kernel.H - 1) - 1 < 0 || w + 2 * padding.W - dilation.W * (kernel.W - 1) - 1 < 0)
            throw Errors.Arg(op, $"the input ({h}x{w}, padding {Size(padding)}) is smaller than the dilated kernel " +
                $"({dilation.H * (kernel.H - 1) + 1}x{dilation.W * (kernel.W - 1) + 1}); the output would be empty.");
        return g;
    }

    static string Size((int H, int W) s) => s.H == s.W ? $"{s.H}" : $"({s.H}, {s.W})";

    static Tensor FloatingInput(string op, Tensor x) => x.DType.IsFloating() ? x
        : throw Errors.Arg(op, $"needs a floating input (float32 or float64), got {x.DType.TorchName()}; convert with To(DType.Float32).");
}
