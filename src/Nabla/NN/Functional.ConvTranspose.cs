using Nabla.Engine;
using Nabla.Primitives.Movement;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// 1-d convolution (cross-correlation, as torch.nn.functional.conv1d) of <paramref name="input"/>
    /// [B, C, L] (or unbatched [C, L]) with <paramref name="weight"/> [O, C/groups, k] and an optional
    /// <paramref name="bias"/> [O]. Output [B, O, OL] with OL = (L + 2·padding - dilation·(k-1) - 1)/stride + 1
    /// (floor). Runs as <see cref="Conv2d(Tensor, Tensor, Tensor?, Size2?, Size2?, Size2?, int)"/> on a height-1 image.
    /// </summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank is not (2 or 3)) throw Errors.Arg("Conv1d", $"input must be 3-d [B, C, L] (or 2-d unbatched), got {Errors.Describe(input)}.");
        if (weight.Rank != 3) throw Errors.Arg("Conv1d", $"weight must be 3-d [out, in/groups, k], got {Errors.Describe(weight)}.");
        CheckConv("Conv1d", input.Rank == 2 ? input.Unsqueeze(0) : input, weight, bias, groups);
        if (stride < 1 || dilation < 1 || padding < 0)
            throw Errors.Arg("Conv1d", $"stride {stride} and dilation {dilation} must be positive and padding {padding} not negative.");
        FloatInput("Conv1d", input);
        if (input.Shape[^1] + 2 * padding - dilation * (weight.Shape[2] - 1) - 1 < 0)
            throw Errors.Arg("Conv1d", $"the input {Errors.Describe(input)} (padding {padding}) is shorter than the dilated kernel ({dilation * (weight.Shape[2] - 1) + 1}); the output would be empty.");
        var y = Tensor.Conv2d(input.Unsqueeze(-2), weight.Unsqueeze(2), bias, (1, stride), (0, padding), (1, dilation), groups);
        return y.Squeeze(-2);
    }

    /// <summary>
    /// 2-d transposed convolution (torch.nn.functional.conv_transpose2d; the gradient of <see cref="Conv2d(Tensor, Tensor, Tensor?, Size2?, Size2?, Size2?, int)"/>
    /// with respect to its input) of <paramref name="input"/> [B, Cin, H, W] (or [Cin, H, W]) with
    /// <paramref name="weight"/> [Cin, Cout/groups, kh, kw] and an optional <paramref name="bias"/> [Cout].
    /// Output [B, Cout, OH, OW] with OH = (H - 1)·sh - 2·ph + dh·(kh - 1) + oph + 1, likewise OW;
    /// <paramref name="outputPadding"/> (default 0) adds rows and columns at the bottom and right and must be
    /// smaller than the stride or the dilation. One MatMul per group over the whole batch, then col2im (<see cref="Fold"/>).
    /// </summary>
    /// <example><code>
    /// var up = F.ConvTranspose2d(x, w, stride: 2, padding: 1, outputPadding: 1);   // [B, Cout, 2H, 2W] for a 3x3 kernel
    /// </code></example>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, Size2? stride = null, Size2? padding = null,
        Size2? outputPadding = null, int groups = 1, Size2? dilation = null) =>
        ConvTranspose("ConvTranspose2d", input, weight, bias, stride ?? 1, padding ?? 0, outputPadding ?? 0, groups, dilation ?? 1, oneD: false);

    /// <summary>
    /// 1-d transposed convolution (torch.nn.functional.conv_transpose1d) of <paramref name="input"/>
    /// [B, Cin, L] (or [Cin, L]) with <paramref name="weight"/> [Cin, Cout/groups, k]: output [B, Cout, OL] with
    /// OL = (L - 1)·stride - 2·padding + dilation·(k - 1) + outputPadding + 1. See <see cref="ConvTranspose2d"/>.
    /// </summary>
    public static Tensor ConvTranspose1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, int dilation = 1) =>
        ConvTranspose("ConvTranspose1d", input, weight, bias, (1, stride), (0, padding), (0, outputPadding), groups, (1, dilation), oneD: true);

    static Tensor ConvTranspose(string op, Tensor input, Tensor weight, Tensor? bias, Size2 s, Size2 p, Size2 op2, int groups, Size2 d, bool oneD)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        int rank = oneD ? 3 : 4;
        string layout = oneD ? "[B, C, L]" : "[B, C, H, W]";
        if (input.Rank != rank && input.Rank != rank - 1)
            throw Errors.Arg(op, $"input must be {rank}-d {layout} (or {rank - 1}-d unbatched), got {Errors.Describe(input)}.");
        if (weight.Rank != rank)
            throw Errors.Arg(op, $"weight must be {rank}-d [in, out/groups, {(oneD ? "k" : "kh, kw")}], got {Errors.Describe(weight)}.");
        if (input.Rank == rank - 1)
            return ConvTranspose(op, input.Unsqueeze(0), weight, bias, s, p, op2, groups, d, oneD).Squeeze(0);
        if (input.DType != weight.DType)
            throw Errors.Arg(op, $"input is {input.DType.TorchName()} but weight is {weight.DType.TorchName()}; convert one with To(DType).");
        var x = FloatInput(op, oneD ? input.Unsqueeze(2) : input);
        var w = oneD ? weight.Unsqueeze(2) : weight;
        int b = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int kh = w.Shape[2], kw = w.Shape[3];
        if (groups < 1 || w.Shape[0] % groups != 0)
            throw Errors.Arg(op, $"groups = {groups} must be ≥ 1 and divide in_channels = {w.Shape[0]}.");
        if (w.Shape[0] != c)
            throw Errors.Arg(op, $"weight {Errors.Describe(weight)} expects {w.Shape[0]} input channels but the input {Errors.Describe(input)} has {c}.");
        int o = w.Shape[1] * groups;
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != o))
            throw Errors.Arg(op, $"bias must be [{o}], got {Errors.Describe(bias)}.");
        if (kh < 1 || kw < 1 || s.H < 1 || s.W < 1 || d.H < 1 || d.W < 1 || p.H < 0 || p.W < 0 || op2.H < 0 || op2.W < 0)
            throw Errors.Arg(op, $"kernel {Errors.Describe(weight)}, stride and dilation must be positive and padding and output padding not negative.");
        if (op2.H >= Math.Max(s.H, d.H) || op2.W >= Math.Max(s.W, d.W))
            throw Errors.Arg(op, $"output padding {Show(op2, oneD)} must be smaller than either the stride {Show(s, oneD)} or the dilation {Show(d, oneD)}.");
        // The whole-image extent the windows cover (no padding), and the output: that extent less the
        // padding on both sides plus the output padding at the end.
        int fullH = (h - 1) * s.H + d.H * (kh - 1) + 1, fullW = (wd - 1) * s.W + d.W * (kw - 1) + 1;
        int oh = fullH - 2 * p.H + op2.H, ow = fullW - 2 * p.W + op2.W;
        if (oh < 1 || ow < 1)
            throw Errors.Arg(op, $"the output size {(oneD ? $"{ow}" : $"{oh}x{ow}")} of input {Errors.Describe(input)} with this kernel, stride, padding and output padding is not positive.");
        // Columns [G, Cout/G·kh·kw, B·L] = weightᵀ · x per group; row (co·kh + i)·kw + j, the layout col2im reads.
        int cg = c / groups, k = w.Shape[1] * kh * kw, l = h * wd;
        var xg = x.Reshape(b, groups, cg, l).Permute(1, 2, 0, 3).Reshape(groups, cg, b * l);
        var cols = w.Reshape(groups, cg, k).Transpose(1, 2).MatMul(xg).Reshape(o * kh * kw, b, l);
        Tensor y;
        if (op2.H < s.H && op2.W < s.W)
        {
            // The usual case: col2im straight into the output, its padding dropping what falls outside.
            var g = new Im2Col(o, oh, ow, kh, kw, s.H, s.W, p.H, p.W, d.H, d.W, RowsOuter: true);
            y = Dispatch.Call(new Fold(g), cols);
        }
        else
        {
            // Output padding of a stride or more (allowed under a larger dilation): fold the whole extent,
            // then crop the padding and append zeros where the output reaches past the extent.
            var g = new Im2Col(o, fullH, fullW, kh, kw, s.H, s.W, 0, 0, d.H, d.W, RowsOuter: true);
            var full = Dispatch.Call(new Fold(g), cols);
            int keepH = Math.Min(oh, fullH - p.H), keepW = Math.Min(ow, fullW - p.W);
            y = full.Narrow(2, p.H, keepH).Narrow(3, p.W, keepW).Pad(0, ow - keepW, 0, oh - keepH);
        }
        if (bias is not null) y = y + bias.Reshape(1, o, 1, 1);
        return oneD ? y.Squeeze(2) : y;
    }

    /// <summary>The dtype, groups, channel and bias checks of a convolution, in its own name (input batched, channels in dim 1).</summary>
    static void CheckConv(string op, Tensor input, Tensor weight, Tensor? bias, int groups)
    {
        if (input.DType != weight.DType)
            throw Errors.Arg(op, $"input is {input.DType.TorchName()} but weight is {weight.DType.TorchName()}; convert one with To(DType).");
        int c = input.Shape[1], o = weight.Shape[0], cg = weight.Shape[1];
        if (groups < 1 || o % groups != 0)
            throw Errors.Arg(op, $"groups = {groups} must be ≥ 1 and divide out_channels = {o}.");
        if (cg * groups != c)
            throw Errors.Arg(op, $"weight {Errors.Describe(weight)} expects {cg * groups} input channels (in/groups = {cg}, groups = {groups}) but the input {Errors.Describe(input)} has {c}.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != o))
            throw Errors.Arg(op, $"bias must be [{o}], got {Errors.Describe(bias)}.");
    }

    static string Show(Size2 v, bool oneD) => oneD ? $"{v.W}" : v.ToString();
}
