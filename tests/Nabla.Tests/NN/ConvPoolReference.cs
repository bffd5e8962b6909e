using Nabla.Backends.Reference;

namespace Nabla.Tests.NN;

/// <summary>
/// Plain double loops over every output (or input) position for the 1-, 2- and 3-d convolutions,
/// transposed convolutions, pools, adaptive pools, unpooling and instance norm: the oracles of the
/// ConvPool OpDb entries and hand tests, written from PyTorch's documented formulas (no im2col).
/// </summary>
internal static class ConvPoolReference
{
    /// <summary>Every multi-index of <paramref name="shape"/> in row-major order.</summary>
    static IEnumerable<int[]> Positions(int[] shape)
    {
        int n = 1;
        foreach (var d in shape) n *= d;
        for (int flat = 0; flat < n; flat++)
        {
            var idx = new int[shape.Length];
            for (int i = shape.Length - 1, r = flat; i >= 0; i--) { idx[i] = r % shape[i]; r /= shape[i]; }
            yield return idx;
        }
    }

    static int[] Cat(int a, int b, int[] rest) => [a, b, .. rest];

    static bool Inside(int[] pos, int[] size)
    {
        for (int i = 0; i < pos.Length; i++) if (pos[i] < 0 || pos[i] >= size[i]) return false;
        return true;
    }

    /// <summary>y[b, o, q] = bias[o] + Σ_{c in o's group, k} x[b, c, q·s - p + k·d]·w[o, c mod C/g, k] (zeros outside).</summary>
    public static RefArray Conv(RefArray x, RefArray w, RefArray? bias, int[] s, int[] p, int[] d, int groups)
    {
        int b = x.Shape[0], o = w.Shape[0], cg = w.Shape[1], nd = x.Shape.Length - 2;
        int[] size = x.Shape[2..], k = w.Shape[2..];
        var outSize = new int[nd];
        for (int i = 0; i < nd; i++) outSize[i] = (size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i] + 1;
        var y = RefArray.Zeros(Cat(b, o, outSize));
        for (int n = 0; n < b; n++)
            for (int oc = 0; oc < o; oc++)
                foreach (var q in Positions(outSize))
                {
                    double acc = bias?.Data[oc] ?? 0;
                    int g = oc / (o / groups);
                    for (int cl = 0; cl < cg; cl++)
                        foreach (var kk in Positions(k))
                        {
                            var at = new int[nd];
                            for (int i = 0; i < nd; i++) at[i] = q[i] * s[i] - p[i] + kk[i] * d[i];
                            if (Inside(at, size)) acc += x[Cat(n, g * cg + cl, at)] * w[Cat(oc, cl, kk)];
                        }
                    y.Data[y.Ravel(Cat(n, oc, q))] = acc;
                }
        return y;
    }

    /// <summary>
    /// The scatter form of a transposed convolution: every x[b, c, i]·w[c, co, k] adds into
    /// y[b, g·Cout/g + co, i·s - p + k·d] (dropped outside); output (S - 1)·s - 2p + d·(K - 1) + op + 1.
    /// </summary>
    public static RefArray ConvTranspose(RefArray x, RefArray w, RefArray? bias, int[] s, int[] p, int[] op, int[] d, int groups)
    {
        int b = x.Shape[0], c = x.Shape[1], og = w.Shape[1], nd = x.Shape.Length - 2;
        int[] size = x.Shape[2..], k = w.Shape[2..];
        var outSize = new int[nd];
        for (int i = 0; i < nd; i++) outSize[i] = (size[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1;
        var y = RefArray.Zeros(Cat(b, og * groups, outSize));
        for (int n = 0; n < b; n++)
            for (int ci = 0; ci < c; ci++)
                foreach (var i in Positions(size))
                    for (int co = 0; co < og; co++)
                        foreach (var kk in Positions(k))
                        {
                            var at = new int[nd];
                            for (int j = 0; j < nd; j++) at[j] = i[j] * s[j] - p[j] + kk[j] * d[j];
                            if (Inside(at, outSize))
                                y.Data[y.Ravel(Cat(n, ci / (c / groups) * og + co, at))] += x[Cat(n, ci, i)] * w[Cat(ci, co, kk)];
                        }
        if (bias is not null)
            for (int f = 0; f < y.Count; f++) y.Data[f] += bias.Data[y.Unravel(f)[1]];
        return y;
    }

    /// <summary>PyTorch's pooling output size: ⌊ or ⌈(S + 2p - d·(k-1) - 1)/s⌉ + 1, ceil mode dropping a window that starts past S + p.</summary>
    public static int PoolSize(int size, int k, int s, int p, int d, bool ceil)
    {
        double q = (size + 2 * p - d * (k - 1) - 1) / (double)s;
        int o = (int)(ceil ? Math.Ceiling(q) : Math.Floor(q)) + 1;
        if (ceil && (o - 1) * s >= size + p) o--;
        return o;
    }

    /// <summary>Max pooling of [B, C, *S] and the flat argmax in the S plane (first maximum; NaN always takes over).</summary>
    public static (RefArray Values, RefArray Indices) MaxPool(RefArray x, int[] k, int[] s, int[] p, int[] d, bool ceil)
    {
        int b = x.Shape[0], c = x.Shape[1], nd = x.Shape.Length - 2;
        int[] size = x.Shape[2..];
        var outSize = new int[nd];
        for (int i = 0; i < nd; i++) outSize[i] = PoolSize(size[i], k[i], s[i], p[i], d[i], ceil);
        var y = RefArray.Zeros(Cat(b, c, outSize));
        var arg = RefArray.Zeros(Cat(b, c, outSize));
        for (int n = 0; n < b; n++)
            for (int ch = 0; ch < c; ch++)
                foreach (var q in Positions(outSize))
                {
                    double best = double.NegativeInfinity;
                    int bestAt = -1;
                    foreach (var kk in Positions(k))
                    {
                        var at = new int[nd];
                        for (int i = 0; i < nd; i++) at[i] = q[i] * s[i] - p[i] + kk[i] * d[i];
                        if (!Inside(at, size)) continue;
                        double v = x[Cat(n, ch, at)];
                        int flat = 0;
                        for (int i = 0; i < nd; i++) flat = flat * size[i] + at[i];
                        if (bestAt < 0 || v > best || double.IsNaN(v)) (best, bestAt) = (v, flat);
                    }
                    y.Data[y.Ravel(Cat(n, ch, q))] = best;
                    arg.Data[arg.Ravel(Cat(n, ch, q))] = bestAt;
                }
        return (y, arg);
    }

    /// <summary>
    /// Average pooling of [B, C, *S]: the window sum over the input divided by the override, else the
    /// window's count inside [-p, S + p) (countIncludePad) or inside [0, S).
    /// </summary>
    public static RefArray AvgPool(RefArray x, int[] k, int[] s, int[] p, bool ceil, bool countIncludePad, int? divisor = null)
    {
        int b = x.Shape[0], c = x.Shape[1], nd = x.Shape.Length - 2;
        int[] size = x.Shape[2..];
        var outSize = new int[nd];
        for (int i = 0; i < nd; i++) outSize[i] = PoolSize(size[i], k[i], s[i], p[i], 1, ceil);
        var y = RefArray.Zeros(Cat(b, c, outSize));
        for (int n = 0; n < b; n++)
            for (int ch = 0; ch < c; ch++)
                foreach (var q in Positions(outSize))
                {
                    double sum = 0;
                    int padded = 0, real = 0;
                    foreach (var kk in Positions(k))
                    {
                        bool inPadded = true;
                        var at = new int[nd];
                        for (int i = 0; i < nd; i++)
                        {
                            at[i] = q[i] * s[i] - p[i] + kk[i];
                            inPadded &= at[i] >= -p[i] && at[i] < size[i] + p[i];
                        }
                        if (inPadded) padded++;
                        if (!Inside(at, size)) continue;
                        real++;
                        sum += x[Cat(n, ch, at)];
                    }
                    y.Data[y.Ravel(Cat(n, ch, q))] = sum / (divisor ?? (countIncludePad ? padded : real));
                }
        return y;
    }

    /// <summary>Adaptive pooling of [B, C, *S] to <paramref name="outSize"/>: window i from ⌊i·S/O⌋ to ⌈(i+1)·S/O⌉ (exclusive).</summary>
    public static (RefArray Values, RefArray Indices) Adaptive(RefArray x, int[] outSize, bool max)
    {
        int b = x.Shape[0], c = x.Shape[1], nd = x.Shape.Length - 2;
        int[] size = x.Shape[2..];
        var y = RefArray.Zeros(Cat(b, c, outSize));
        var arg = RefArray.Zeros(Cat(b, c, outSize));
        for (int n = 0; n < b; n++)
            for (int ch = 0; ch < c; ch++)
                foreach (var q in Positions(outSize))
                {
                    var start = new int[nd];
                    var extent = new int[nd];
                    for (int i = 0; i < nd; i++)
                    {
                        start[i] = (int)Math.Floor(q[i] * (double)size[i] / outSize[i]);
                        extent[i] = (int)Math.Ceiling((q[i] + 1) * (double)size[i] / outSize[i]) - start[i];
                    }
                    double acc = max ? double.NegativeInfinity : 0;
                    int count = 0, bestAt = -1;
                    foreach (var kk in Positions(extent))
                    {
                        var at = new int[nd];
                        int flat = 0;
                        for (int i = 0; i < nd; i++) { at[i] = start[i] + kk[i]; flat = flat * size[i] + at[i]; }
                        double v = x[Cat(n, ch, at)];
                        count++;
                        if (!max) acc += v;
                        else if (bestAt < 0 || v > acc || double.IsNaN(v)) (acc, bestAt) = (v, flat);
                    }
                    y.Data[y.Ravel(Cat(n, ch, q))] = max ? acc : acc / count;
                    arg.Data[arg.Ravel(Cat(n, ch, q))] = bestAt;
                }
        return (y, arg);
    }

    /// <summary>Max unpooling: y[b, c, indices[b, c, i]] = x[b, c, i] in planes of <paramref name="outSize"/>, zeros elsewhere (distinct indices).</summary>
    public static RefArray MaxUnpool(RefArray x, RefArray indices, int[] outSize)
    {
        int b = x.Shape[0], c = x.Shape[1], plane = 1, l = x.Count / Math.Max(1, b * c);
        foreach (var d in outSize) plane *= d;
        var y = RefArray.Zeros(Cat(b, c, outSize));
        for (int pl = 0; pl < b * c; pl++)
            for (int i = 0; i < l; i++)
                y.Data[pl * plane + (int)indices.Data[pl * l + i]] = x.Data[pl * l + i];
        return y;
    }

    /// <summary>Instance norm with input statistics: each (b, c) plane minus its mean over its biased standard deviation, then ·w[c] + bias[c].</summary>
    public static RefArray InstanceNorm(RefArray x, RefArray? w, RefArray? bias, double eps)
    {
        int b = x.Shape[0], c = x.Shape[1], l = x.Count / Math.Max(1, b * c);
        var y = RefArray.Zeros(x.Shape);
        for (int pl = 0; pl < b * c; pl++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < l; i++) mean += x.Data[pl * l + i];
            mean /= l;
            for (int i = 0; i < l; i++) var += (x.Data[pl * l + i] - mean) * (x.Data[pl * l + i] - mean);
            var /= l;
            int ch = pl % c;
            for (int i = 0; i < l; i++)
                y.Data[pl * l + i] = (x.Data[pl * l + i] - mean) / Math.Sqrt(var + eps) * (w?.Data[ch] ?? 1) + (bias?.Data[ch] ?? 0);
        }
        return y;
    }

    /// <summary>(x[b, c, ...] - mean[c]) / √(var[c] + eps): normalization by given (running) statistics.</summary>
    public static RefArray NormalizeBy(RefArray x, RefArray mean, RefArray variance, double eps)
    {
        int c = x.Shape[1], l = x.Count / Math.Max(1, x.Shape[0] * c);
        var y = RefArray.Zeros(x.Shape);
        for (int f = 0; f < x.Count; f++)
        {
            int ch = f / l % c;
            y.Data[f] = (x.Data[f] - mean.Data[ch]) / Math.Sqrt(variance.Data[ch] + eps);
        }
        return y;
    }
}
