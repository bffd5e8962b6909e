using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>CTC loss against a brute-force sum over every alignment (tiny T and C), and its gradient against finite differences.</summary>
public class CtcLossTests
{
    /// <summary>-log Σ over all C^T label paths π that collapse (merge repeats, drop blanks) to the target of Π_t p[t, π_t].</summary>
    internal static double BruteForce(double[,] lp, int frames, long[] target, int blank)
    {
        int classes = lp.GetLength(1);
        double total = 0;
        var path = new int[frames];
        int count = (int)Math.Pow(classes, frames);
        for (int code = 0; code < count; code++)
        {
            for (int t = 0, r = code; t < frames; t++, r /= classes) path[t] = r % classes;
            var collapsed = new List<long>();
            for (int t = 0; t < frames; t++)
                if (path[t] != blank && (t == 0 || path[t] != path[t - 1])) collapsed.Add(path[t]);
            if (!collapsed.SequenceEqual(target)) continue;
            double logp = 0;
            for (int t = 0; t < frames; t++) logp += lp[t, path[t]];
            total += Math.Exp(logp);
        }
        return -Math.Log(total);
    }

    /// <summary>Log-softmax of seeded uniform logits: [T, N, C] as a tensor and per-sample [T, C] arrays.</summary>
    static Tensor LogProbs(int seed, int frames, int batch, int classes) =>
        Nabla.Tests.OpDb.Samples.Uniform(seed, [frames, batch, classes], -2, 2).LogSoftmax(2);

    static double[,] Sample(Tensor lp, int n)
    {
        var v = lp.ToDoubleArray();
        int frames = lp.Shape[0], batch = lp.Shape[1], classes = lp.Shape[2];
        var r = new double[frames, classes];
        for (int t = 0; t < frames; t++)
            for (int c = 0; c < classes; c++) r[t, c] = v[(t * batch + n) * classes + c];
        return r;
    }

    static Tensor L(params long[] v) => Tensor.FromArray(v, [v.Length]);

    // Three samples, C = 3, T = 5: a repeated label (needs a blank between), an empty target, a short input.
    static readonly long[][] Targets = [[1, 1], [], [2, 1, 2]];
    static readonly long[] InputLengths = [5, 3, 5];

    static Tensor Padded() => Tensor.FromArray(new long[] { 1, 1, 0, 0, 0, 0, 2, 1, 2 }, [3, 3]);   // 0 pads (the blank: ignored)

    static Tensor Concatenated() => L(1, 1, 2, 1, 2);

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void MatchesTheSumOverAllAlignments(int blankShift)
    {
        var lp = LogProbs(1, 5, 3, 3);
        // blankShift 2 relabels: blank 2 and labels (l + 2) mod 3, so the same test runs with a non-zero blank.
        int blank = blankShift % 3;
        long Map(long l) => (l + blankShift) % 3;
        var targets = Targets.Select(t => t.Select(Map).ToArray()).ToArray();
        var padded = Tensor.FromArray(new long[] { Map(1), Map(1), 0, 0, 0, 0, Map(2), Map(1), Map(2) }, [3, 3]);
        var concatenated = L([.. targets.SelectMany(t => t)]);
        var expected = Enumerable.Range(0, 3).Select(n => BruteForce(Sample(lp, n), (int)InputLengths[n], targets[n], blank)).ToArray();
        var lengths = L(InputLengths);
        var targetLengths = L(2, 0, 3);
        Nabla.Tests.TestUtil.Approx.Equal(expected, F.CtcLoss(lp, padded, lengths, targetLengths, blank, Reduction.None).ToDoubleArray(), 1e-12, "padded");
        Nabla.Tests.TestUtil.Approx.Equal(expected, F.CtcLoss(lp, concatenated, lengths, targetLengths, blank, Reduction.None).ToDoubleArray(), 1e-12, "concatenated");
        // Sum; Mean divides each by its target length (at least 1), then averages.
        Assert.Equal(expected.Sum(), F.CtcLoss(lp, padded, lengths, targetLengths, blank, Reduction.Sum).Item<double>(), 12);
        Assert.Equal((expected[0] / 2 + expected[1] / 1 + expected[2] / 3) / 3, F.CtcLoss(lp, padded, [5, 3, 5], [2, 0, 3], blank).Item<double>(), 12);
        // float32: the same up to float rounding.
        Nabla.Tests.TestUtil.Approx.Equal(expected, F.CtcLoss(lp.To(DType.Float32), padded, lengths, targetLengths, blank, Reduction.None).ToDoubleArray(), 1e-5, "float32");
    }

    [Fact]
    public void UnbatchedAndImpossibleTargets()
    {
        var lp = LogProbs(2, 4, 1, 3);
        double expected = BruteForce(Sample(lp, 0), 4, [2, 1], 0);
        Assert.Equal(expected, F.CtcLoss(lp.Squeeze(1), L(2, 1), Tensor.FromArray(new long[] { 4 }, []), Tensor.FromArray(new long[] { 2 }, []),
            reduction: Reduction.None).Item<double>(), 12);
        // [1, 1] needs 3 frames (1, blank, 1): with 2 the loss is +inf, or 0 with zeroInfinity (and a zero gradient).
        var x = lp.Detach();
        x.RequiresGrad = true;
        var loss = F.CtcLoss(x, L(1, 1).Reshape(1, 2), [2], [2], reduction: Reduction.Sum);
        Assert.True(double.IsPositiveInfinity(loss.Item<double>()));
        loss.Backward();
        Assert.True(x.Grad!.ToDoubleArray()[..6].All(double.IsNaN));   // as PyTorch without zeroInfinity
        x.Grad = null;
        loss = F.CtcLoss(x, L(1, 1).Reshape(1, 2), [2], [2], reduction: Reduction.Sum, zeroInfinity: true);
        Assert.Equal(0, loss.Item<double>());
        loss.Backward();
        Assert.All(x.Grad!.ToDoubleArray(), g => Assert.Equal(0, g));
    }

    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        // Raw log-probabilities (not normalized): the gradient is the exact partial derivative in each entry.
        var lp0 = Nabla.Tests.OpDb.Samples.Uniform(3, [5, 3, 3], -2, 0);
        Tensor Loss(Tensor lp) => F.CtcLoss(lp, Padded(), L(InputLengths), L(2, 0, 3), reduction: Reduction.Mean);
        var x = lp0.Detach();
        x.RequiresGrad = true;
        Loss(x).Backward();
        var grad = x.Grad!.ToDoubleArray();
        var v = lp0.ToDoubleArray();
        const double h = 1e-6;
        for (int i = 0; i < v.Length; i++)
        {
            var plus = (double[])v.Clone();
            var minus = (double[])v.Clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = (Loss(Tensor.FromArray(plus, [5, 3, 3])).Item<double>() - Loss(Tensor.FromArray(minus, [5, 3, 3])).Item<double>()) / (2 * h);
            Assert.True(Math.Abs(fd - grad[i]) < 1e-8, $"entry {i}: finite difference {fd} vs gradient {grad[i]}");
        }
        // Sample 1 has 3 frames: frames 3 and 4 get no gradient.
        for (int t = 3; t < 5; t++)
            for (int c = 0; c < 3; c++) Assert.Equal(0, grad[(t * 3 + 1) * 3 + c]);
    }

    [Fact]
    public void GradientThroughLogSoftmaxSumsToZeroPerFrame()
    {
        // Through log_softmax each frame's logit gradient is softmax - occupancy, whose entries add up to 0 (both sum to 1).
        var logits = Nabla.Tests.OpDb.Samples.Uniform(4, [4, 1, 3], -2, 2).Detach();
        logits.RequiresGrad = true;
        F.CtcLoss(logits.LogSoftmax(2), L(1, 2).Reshape(1, 2), [4], [2], reduction: Reduction.Sum).Backward();
        var g = logits.Grad!.ToDoubleArray();
        for (int t = 0; t < 4; t++) Assert.True(Math.Abs(g[t * 3] + g[t * 3 + 1] + g[t * 3 + 2]) < 1e-14);
    }

    [Fact]
    public void SecondDerivativeIsNotSupported()
    {
        var x = LogProbs(5, 3, 1, 3).Detach();
        x.RequiresGrad = true;
        var g = Autograd.Grad(F.CtcLoss(x, L(1).Reshape(1, 1), [3], [1]), x, createGraph: true)!;
        var ex = Assert.Throws<NotSupportedException>(() => g.Sum().Backward());
        Assert.Contains("CtcLoss: second derivatives are not supported", ex.Message);
        Assert.Contains("CtcLossTests.cs:", ex.Message);
    }

    [Fact]
    public void BadInputsNameTheCaller()
    {
        var lp = LogProbs(6, 4, 2, 3);
        void Throws(Action call, string text)
        {
            var ex = Assert.Throws<ArgumentException>(call);
            Assert.Contains("CtcLoss: " + text, ex.Message);
            Assert.Contains("CtcLossTests.cs:", ex.Message);
        }
        var padded = Tensor.FromArray(new long[] { 1, 2, 1, 0 }, [2, 2]);
        Throws(() => F.CtcLoss(lp, padded, [5, 4], [2, 1]), "inputLengths[0] = 5 must be within 0..4");
        Throws(() => F.CtcLoss(lp, padded, [4, 4], [3, 1]), "targetLengths[0] = 3 must be within 0..2");
        Throws(() => F.CtcLoss(lp, padded, [4, 4], [2, 2]), "target label 0 of sample 1 must be a class in 0..2 other than blank (0)");
        Throws(() => F.CtcLoss(lp, L(1, 2, 3), [4, 4], [2, 1]), "target label 3 of sample 1");
        Throws(() => F.CtcLoss(lp, L(1, 2, 1), [4, 4], [2, 2]), "the target lengths add up to more than the 3 concatenated targets");
        Throws(() => F.CtcLoss(lp, L(1, 2, 1), [4, 4], [1, 1]), "the target lengths add up to 2 but 3 concatenated targets were given");
        Throws(() => F.CtcLoss(lp, padded, [4], [2]), "inputLengths and targetLengths must be [2]");
        Throws(() => F.CtcLoss(lp, padded, [4, 4], [2, 1], blank: 3), "blank 3 must be a class");
        Throws(() => F.CtcLoss(lp, padded.To(DType.Float64), [4, 4], [2, 1]), "targets must be int64 or int32");
    }

    [Fact]
    public void ModuleMatchesTheFunction()
    {
        var lp = LogProbs(7, 5, 3, 3);
        var ctc = new CtcLoss(blank: 0, reduction: Reduction.Sum, zeroInfinity: true);
        Assert.Equal(F.CtcLoss(lp, Padded(), L(InputLengths), L(2, 0, 3), reduction: Reduction.Sum).Item<double>(),
            ctc.Call(lp, Padded(), L(InputLengths), L(2, 0, 3)).Item<double>());
        Assert.Equal("CtcLoss(reduction=Sum, blank=0, zeroInfinity=True)", ctc.ToString());
    }
}
