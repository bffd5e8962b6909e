using Nabla.Engine;
using Nabla.Primitives.Movement;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Max pooling of [B, C, H, W] (or [C, H, W]) and, when <paramref name="withIndices"/>, the argmax of
    /// every window as int64 flat positions ih·W + iw in its H·W plane, shaped as the values (torch's
    /// return_indices; -1 for a window that lies entirely in the padding, possible only with dilation).
    /// Ceil mode pads the input at the end with -∞ for the windows that reach past the padding: a window
    /// always starts inside the input or the left padding, so its first element is real and the -∞ never
    /// wins, and the positions map back to the unpadded plane.
    /// </summary>
    internal static (Tensor Values, Tensor? Indices) MaxPool2dCore(string op, Tensor input, (int H, int W) kernelSize, (int H, int W)? stride,
        (int H, int W)? padding, (int H, int W) dilation, bool ceilMode, bool withIndices)
    {
        var (x, g, shape) = PoolInput(op, input, kernelSize, stride, padding, dilation, ceilMode);
        int h = x.Shape[2], w = x.Shape[3];
        if (g.H > h || g.W > w) x = x.Pad(0, g.W - w, 0, g.H - h) + NegativeInfinityBeyond(h, w, g.H, g.W, x.DType, x.Device);
        // Output 1, the argmax, stays on the op's record for its derivative rules.
        var outputs = Dispatch.CallMany(new Primitives.Pool.MaxPool2d(g), x);
        var values = outputs[0].Reshape(shape);
        if (!withIndices) return (values, null);
        var positions = outputs[1];
        if (g.H == h && g.W == w) return (values, positions.To(DType.Int64).Reshape(shape));
        // A lookup from padded-plane positions (shifted by one, so that -1 reads entry 0) to the input's plane.
        var table = new long[g.H * g.W + 1];
        table[0] = -1;
        for (int ih = 0; ih < g.H; ih++)
            for (int iw = 0; iw < g.W; iw++)
                table[1 + ih * g.W + iw] = ih < h && iw < w ? ih * w + iw : -1;
        var shifted = positions.To(DType.Int64) + Full([], 1, DType.Int64, device: positions.Device);
        return (values, FromArray(table, [table.Length]).To(positions.Device).IndexSelect(0, shifted.Reshape(-1)).Reshape(shape));
    }

    /// <summary>[h2, w2] of zeros with -∞ in the rows from h and the columns from w (the ceil-mode border).</summary>
    static Tensor NegativeInfinityBeyond(int h, int w, int h2, int w2, DType dtype, Device device)
    {
        var border = new double[h2 * w2];
        for (int i = 0; i < h2; i++)
            for (int j = 0; j < w2; j++)
                if (i >= h || j >= w) border[i * w2 + j] = double.NegativeInfinity;
        return FromArray(border, [h2, w2]).To(dtype).To(device);
    }

    /// <summary>
    /// The rows a ceil-mode pooling adds past the end padding: torch's output size
    /// ⌈(size + 2p - d·(k-1) - 1)/s⌉ + 1, less one when the last window would start at or past size + p,
    /// needs (out - 1)·s + d·(k-1) + 1 rows of padded input. The caller has checked the kernel fits.
    /// </summary>
    static int CeilExtra(int size, int k, int s, int p, int d)
    {
        int span = d * (k - 1) + 1;
        int outputs = (size + 2 * p - span + s - 1) / s + 1;
        if ((outputs - 1) * s >= size + p) outputs--;
        return Math.Max(0, (outputs - 1) * s + span - (size + 2 * p));
    }

    /// <summary>
    /// Average pooling with ceil mode or a divisor override: window sums of the zero-padded input divided
    /// by torch's divisor per output position: the override, else the window clipped to the padded input
    /// (count_include_pad) or to the input itself.
    /// </summary>
    static Tensor AvgPool2dDivided(string op, Tensor input, (int H, int W) kernelSize, (int H, int W)? stride, (int H, int W)? padding,
        bool countIncludePad, bool ceilMode, int? divisorOverride)
    {
        if (divisorOverride == 0) throw Errors.Arg(op, "divisorOverride must not be zero.");
        var (x, g, shape) = PoolInput(op, input, kernelSize, stride, padding, (1, 1), ceilMode);
        int b = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        if (g.H > h || g.W > w) x = x.Pad(0, g.W - w, 0, g.H - h);
        var sums = Dispatch.Call(new Unfold(g), x.Reshape(b * c, 1, g.H, g.W)).Sum(1);             // [B·C, L]
        var divisor = new double[g.L];
        for (int oh = 0; oh < g.OH; oh++)
            for (int ow = 0; ow < g.OW; ow++)
            {
                var (padH, realH) = WindowCount(oh, g.Sh, g.Ph, g.Kh, h);
                var (padW, realW) = WindowCount(ow, g.Sw, g.Pw, g.Kw, w);
                divisor[oh * g.OW + ow] = divisorOverride ?? (countIncludePad ? padH * padW : realH * realW);
            }
        return (sums / FromArray(divisor, [g.L]).To(sums.DType).To(sums.Device)).Reshape(shape);
    }

    /// <summary>Elements of window <paramref name="o"/> inside the padded input and inside the input itself.</summary>
    static (int Padded, int Real) WindowCount(int o, int s, int p, int k, int size)
    {
        int start = o * s - p, end = Math.Min(start + k, size + p);
        return (end - start, Math.Min(end, size) - Math.Max(start, 0));
    }
}
