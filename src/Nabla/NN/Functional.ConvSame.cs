using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// <see cref="Conv1d(Tensor, Tensor, Tensor?, int, int, int, int)"/> with PyTorch's string padding
    /// (torch.nn.functional.conv1d(..., padding='same' | 'valid')): <see cref="ConvPadding.Same"/> keeps the length (stride 1 only).
    /// </summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, ConvPadding padding, Tensor? bias = null, int stride = 1, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var (x, p) = SamePadding("Conv1d", input, weight, padding, [stride], [dilation]);
        return Conv1d(x, weight, bias, stride, p[0], dilation, groups);
    }

    /// <summary>
    /// <see cref="Conv2d(Tensor, Tensor, Tensor?, Size2?, Size2?, Size2?, int)"/> with PyTorch's string padding
    /// (padding='same' | 'valid'): <see cref="ConvPadding.Same"/> keeps H and W (stride 1 only).
    /// </summary>
    /// <example><code>
    /// var y = F.Conv2d(x, w, ConvPadding.Same, dilation: 2);   // [B, O, H, W]
    /// </code></example>
    public static Tensor Conv2d(Tensor input, Tensor weight, ConvPadding padding, Tensor? bias = null, Size2? stride = null, Size2? dilation = null,
        int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(weight);
        Size2 s = stride ?? 1, d = dilation ?? 1;
        var (x, p) = SamePadding("Conv2d", input, weight, padding, [s.H, s.W], [d.H, d.W]);
        return Conv2d(x, weight, bias, s, (p[0], p[1]), d, groups);
    }

    /// <summary>
    /// <see cref="Conv3d(Tensor, Tensor, Tensor?, Size3?, Size3?, Size3?, int)"/> with PyTorch's string padding
    /// (padding='same' | 'valid'): <see cref="ConvPadding.Same"/> keeps D, H and W (stride 1 only).
    /// </summary>
    public static Tensor Conv3d(Tensor input, Tensor weight, ConvPadding padding, Tensor? bias = null, Size3? stride = null, Size3? dilation = null,
        int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(weight);
        Size3 s = stride ?? 1, d = dilation ?? 1;
        var (x, p) = SamePadding("Conv3d", input, weight, padding, [s.D, s.H, s.W], [d.D, d.H, d.W]);
        return Conv3d(x, weight, bias, s, (p[0], p[1], p[2]), d, groups);
    }

    /// <summary>
    /// The symmetric padding per spatial dim for <paramref name="padding"/>, and the input with the odd
    /// remainder of 'same' (total dilation·(k-1) odd: one more after than before) already padded at the end.
    /// </summary>
    static (Tensor Input, int[] Padding) SamePadding(string op, Tensor input, Tensor weight, ConvPadding padding, int[] stride, int[] dilation)
    {
        ArgumentNullException.ThrowIfNull(input);
        int nd = stride.Length;
        var symmetric = new int[nd];
        if (!padding.IsSame) return (input, symmetric);
        if (stride.Any(s => s != 1))
            throw Errors.Arg(op, $"padding Same is not supported for strided convolutions (stride {string.Join("x", stride)}), as in PyTorch; give the padding in numbers.");
        if (weight.Rank != nd + 2 || input.Rank < nd)
            return (input, symmetric);   // the convolution itself reports the rank error, in its own words
        var extra = new int[2 * nd];      // Pad's (before, after) pairs from the last dim
        for (int i = 0; i < nd; i++)
        {
            int total = dilation[i] * (weight.Shape[2 + i] - 1);
            symmetric[i] = total / 2;
            extra[2 * (nd - 1 - i) + 1] = total % 2;
        }
        return (extra.Any(e => e != 0) ? input.Pad(extra) : input, symmetric);
    }
}
