using Nabla.Backends.Reference;

namespace Nabla.Tests.NN;

/// <summary>Naive double loops for the layers: the oracles of the NN tests (written independently of im2col).</summary>
internal static class NNReference
{
    /// <summary>y[b, o, i, j] = bias[o] + Σ_{c in group, p, q} x[b, c, i·sh - ph + p·dh, j·sw - pw + q·dw]·w[o, c - g·Cg, p, q].</summary>
    public static RefArray Conv2d(RefArray x, RefArray w, RefArray? bias, (int H, int W) s, (int H, int W) pad, (int H, int W) d, int groups)
    {
        int B = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int O = w.Shape[0], Cg = w.Shape[1], KH = w.Shape[2], KW = w.Shape[3];
        int OH = (H + 2 * pad.H - d.H * (KH - 1) - 1) / s.H + 1, OW = (W + 2 * pad.W - d.W * (KW - 1) - 1) / s.W + 1;
        var y = RefArray.Zeros([B, O, OH, OW]);
        int og = O / groups;
        for (int b = 0; b < B; b++)
            for (int o = 0; o < O; o++)
                for (int i = 0; i < OH; i++)
                    for (int j = 0; j < OW; j++)
                    {
                        double acc = bias is null ? 0 : bias.Data[o];
                        int g = o / og;
                        for (int cl = 0; cl < Cg; cl++)
                            for (int p = 0; p < KH; p++)
                                for (int q = 0; q < KW; q++)
                                {
                                    int ih = i * s.H - pad.H + p * d.H, iw = j * s.W - pad.W + q * d.W;
                                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                    acc += x[[b, g * Cg + cl, ih, iw]] * w[[o, cl, p, q]];
                                }
                        y.Data[y.Ravel([b, o, i, j])] = acc;
                    }
        return y;
    }

    /// <summary>Max (or mean, dividing by kh·kw) over each window; padding never wins a max and counts as 0 in a mean.</summary>
    public static RefArray Pool(RefArray x, (int H, int W) k, (int H, int W) s, (int H, int W) pad, bool max)
    {
        int B = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int OH = (H + 2 * pad.H - k.H) / s.H + 1, OW = (W + 2 * pad.W - k.W) / s.W + 1;
        var y = RefArray.Zeros([B, C, OH, OW]);
        for (int b = 0; b < B; b++)
            for (int c = 0; c < C; c++)
                for (int i = 0; i < OH; i++)
                    for (int j = 0; j < OW; j++)
                    {
                        double acc = max ? double.NegativeInfinity : 0;
                        for (int p = 0; p < k.H; p++)
                            for (int q = 0; q < k.W; q++)
                            {
                                int ih = i * s.H - pad.H + p, iw = j * s.W - pad.W + q;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                double v = x[[b, c, ih, iw]];
                                acc = max ? Math.Max(acc, v) : acc + v;
                            }
                        y.Data[y.Ravel([b, c, i, j])] = max ? acc : acc / (k.H * k.W);
                    }
        return y;
    }
}
