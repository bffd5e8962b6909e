using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// 3-d convolution (cross-correlation, as torch.nn.functional.conv3d) of <paramref name="input"/>
    /// [B, C, D, H, W] (or unbatched [C, D, H, W]) with <paramref name="weight"/> [O, C/groups, kd, kh, kw]
    /// and an optional <paramref name="bias"/> [O]. Output [B, O, OD, OH, OW] with
    /// OD = (D + 2·pd - dd·(kd - 1) - 1)/sd + 1 (floor), likewise OH and OW. Stride and dilation default to 1,
    /// padding (zeros) to 0. Runs as one <see cref="Conv2d(Tensor, Tensor, Tensor?, Size2?, Size2?, Size2?, int)"/>: the kd depth slices each output depth reads
    /// are stacked as channels (weight [O, C/groups·kd, kh, kw]), so its im2col and GEMM do the work.
    /// </summary>
    public static Tensor Conv3d(Tensor input, Tensor weight, Tensor? bias = null, Size3? stride = null, Size3? padding = null,
        Size3? dilation = null, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank == 4) return Conv3d(input.Unsqueeze(0), weight, bias, stride, padding, dilation, groups).Squeeze(0);
        if (input.Rank != 5) throw Errors.Arg("Conv3d", $"input must be 5-d [B, C, D, H, W] (or 4-d unbatched), got {Errors.Describe(input)}.");
        if (weight.Rank != 5) throw Errors.Arg("Conv3d", $"weight must be 5-d [out, in/groups, kd, kh, kw], got {Errors.Describe(weight)}.");
        CheckConv("Conv3d", input, weight, bias, groups);
        var x = FloatInput("Conv3d", input);
        Size3 s = stride ?? 1, p = padding ?? 0, dl = dilation ?? 1;
        if (s.D < 1 || s.H < 1 || s.W < 1 || dl.D < 1 || dl.H < 1 || dl.W < 1 || p.D < 0 || p.H < 0 || p.W < 0)
            throw Errors.Arg("Conv3d", $"stride {s} and dilation {dl} must be positive and padding {p} not negative.");
        int b = x.Shape[0], c = x.Shape[1], depth = x.Shape[2], h = x.Shape[3], w = x.Shape[4];
        int o = weight.Shape[0], kd = weight.Shape[2], kh = weight.Shape[3], kw = weight.Shape[4];
        int span(int k, int dil) => dil * (k - 1) + 1;
        if (depth + 2 * p.D < span(kd, dl.D) || h + 2 * p.H < span(kh, dl.H) || w + 2 * p.W < span(kw, dl.W))
            throw Errors.Arg("Conv3d", $"the input {Errors.Describe(input)} (padding {p}) is smaller than the dilated kernel " +
                $"({span(kd, dl.D)}x{span(kh, dl.H)}x{span(kw, dl.W)}); the output would be empty.");
        int od = (depth + 2 * p.D - span(kd, dl.D)) / s.D + 1;
        var padded = x.Pad(0, 0, 0, 0, p.D, p.D);
        // Slice i holds, for every output depth, the input depth its kernel element i reads: [B, C, OD, H, W].
        var slices = new Tensor[kd];
        for (int i = 0; i < kd; i++)
            slices[i] = Tensor.SliceWindow(padded, [0, 0, i * dl.D, 0, 0], [1, 1, s.D, 1, 1], [b, c, od, h, w]);
        // [B, C, kd, OD, H, W] -> [B·OD, C·kd, H, W]: channel c·kd + i, which is where the reshaped
        // weight [O, C/groups·kd, kh, kw] puts kernel depth i of channel c (groups stay contiguous).
        var stacked = Tensor.Stack(slices, 2).Permute(0, 3, 1, 2, 4, 5).Reshape(b * od, c * kd, h, w);
        var y = Tensor.Conv2d(stacked, weight.Reshape(o, weight.Shape[1] * kd, kh, kw), bias, (s.H, s.W), (p.H, p.W), (dl.H, dl.W), groups);
        return y.Reshape(b, od, o, y.Shape[2], y.Shape[3]).Permute(0, 2, 1, 3, 4);
    }
}
