namespace Nabla.Backends.Reference;

/// <summary>
/// Connectionist temporal classification by the forward-backward algorithm (Graves et al. 2006) in log space with
/// double accumulation: the negative log likelihood of each sample's target under log-probabilities lp [T, N, C], and
/// its gradient. Shared by the CTC primitives' references and the CPU kernels (one algorithm, so they agree exactly).
/// A target is read at offset n·stride (padded [N, S]) or at the sum of the earlier target lengths (concatenated 1-d);
/// the extended label sequence l' puts a blank before, between and after its labels. Inputs were validated by the
/// front end (lengths in range, labels in 0..C-1 and not blank).
/// </summary>
internal static class CtcAlgorithm
{
    /// <summary>One problem's data: lp [T, N, C] row-major, targets, lengths and the blank class.</summary>
    internal readonly record struct Problem(double[] Lp, int T, int N, int C, long[] Targets, bool Concatenated, int Stride,
        long[] InputLengths, long[] TargetLengths, int Blank)
    {
        public double At(int t, int n, int c) => Lp[(t * N + n) * C + c];

        /// <summary>l' of sample <paramref name="n"/>: blank, y1, blank, y2, ..., blank (2·S + 1 labels).</summary>
        public int[] Extended(int n)
        {
            int start = 0;
            if (Concatenated) for (int m = 0; m < n; m++) start += (int)TargetLengths[m];
            else start = n * Stride;
            var labels = new int[2 * TargetLengths[n] + 1];
            Array.Fill(labels, Blank);
            for (int s = 0; s < TargetLengths[n]; s++) labels[2 * s + 1] = (int)Targets[start + s];
            return labels;
        }
    }

    static double LogAdd(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        double m = Math.Max(a, b);
        return m + Math.Log(Math.Exp(a - m) + Math.Exp(b - m));
    }

    /// <summary>Whether a path may skip from l'[s - 2] to l'[s] (a label differing from the one before the blank between).</summary>
    static bool CanSkip(int[] l, int s, int blank) => s >= 2 && l[s] != blank && l[s] != l[s - 2];

    /// <summary>log α[t, s]: the log probability of the prefixes of length t + 1 that end in l'[s].</summary>
    static double[,] Alpha(in Problem p, int n, int[] l, int frames)
    {
        var a = new double[frames, l.Length];
        for (int t = 0; t < frames; t++)
            for (int s = 0; s < l.Length; s++)
            {
                double v;
                if (t == 0) v = s < 2 ? 0 : double.NegativeInfinity;
                else
                {
                    v = a[t - 1, s];
                    if (s >= 1) v = LogAdd(v, a[t - 1, s - 1]);
                    if (CanSkip(l, s, p.Blank)) v = LogAdd(v, a[t - 1, s - 2]);
                }
                a[t, s] = double.IsNegativeInfinity(v) ? v : v + p.At(t, n, l[s]);
            }
        return a;
    }

    /// <summary>log β[t, s]: the log probability of the suffixes from time t that start in l'[s] (lp at t included).</summary>
    static double[,] Beta(in Problem p, int n, int[] l, int frames)
    {
        int last = l.Length - 1;
        var b = new double[frames, l.Length];
        for (int t = frames - 1; t >= 0; t--)
            for (int s = last; s >= 0; s--)
            {
                double v;
                if (t == frames - 1) v = s >= last - 1 ? 0 : double.NegativeInfinity;
                else
                {
                    v = b[t + 1, s];
                    if (s + 1 <= last) v = LogAdd(v, b[t + 1, s + 1]);
                    if (s + 2 <= last && CanSkip(l, s + 2, p.Blank)) v = LogAdd(v, b[t + 1, s + 2]);
                }
                b[t, s] = double.IsNegativeInfinity(v) ? v : v + p.At(t, n, l[s]);
            }
        return b;
    }

    /// <summary>log p(target | input) of sample n: -inf when no alignment fits (target too long for the input).</summary>
    static double LogLikelihood(double[,] alpha, int frames, int labels)
    {
        if (frames == 0) return labels == 1 ? 0 : double.NegativeInfinity;   // no frames: only the empty target fits
        double ll = alpha[frames - 1, labels - 1];
        return labels >= 2 ? LogAdd(ll, alpha[frames - 1, labels - 2]) : ll;
    }

    /// <summary>The negative log likelihood [N] (+inf where impossible).</summary>
    public static double[] NegativeLogLikelihood(in Problem p)
    {
        var nll = new double[p.N];
        for (int n = 0; n < p.N; n++)
        {
            var l = p.Extended(n);
            int frames = (int)p.InputLengths[n];
            nll[n] = -LogLikelihood(Alpha(p, n, l, frames), frames, l.Length);
        }
        return nll;
    }

    /// <summary>
    /// gy[n]·∂nll[n]/∂lp[t, n, c] = -gy[n]·Σ_{s: l'[s] = c} α[t, s]·β[t, s] / (lp[t, n, c]·p(target)) (in log space), the
    /// exact partial derivative, 0 for t ≥ the input length. Where the target is impossible: 0 with
    /// <paramref name="zeroInfinity"/>, else NaN (as PyTorch).
    /// </summary>
    public static double[] Gradient(in Problem p, double[] gy, bool zeroInfinity)
    {
        var grad = new double[p.T * p.N * p.C];
        for (int n = 0; n < p.N; n++)
        {
            var l = p.Extended(n);
            int frames = (int)p.InputLengths[n];
            var alpha = Alpha(p, n, l, frames);
            double ll = LogLikelihood(alpha, frames, l.Length);
            if (double.IsNegativeInfinity(ll))
            {
                if (!zeroInfinity)
                    for (int t = 0; t < frames; t++)
                        for (int c = 0; c < p.C; c++) grad[(t * p.N + n) * p.C + c] = double.NaN;
                continue;
            }
            var beta = Beta(p, n, l, frames);
            var occupancy = new double[p.C];
            for (int t = 0; t < frames; t++)
            {
                Array.Fill(occupancy, double.NegativeInfinity);
                for (int s = 0; s < l.Length; s++) occupancy[l[s]] = LogAdd(occupancy[l[s]], alpha[t, s] + beta[t, s]);
                for (int c = 0; c < p.C; c++)
                    if (!double.IsNegativeInfinity(occupancy[c]))
                        grad[(t * p.N + n) * p.C + c] = -gy[n] * Math.Exp(occupancy[c] - p.At(t, n, c) - ll);
            }
        }
        return grad;
    }
}
