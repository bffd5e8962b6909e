using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>The issue-14 losses against values computed by hand from PyTorch's definitions (and its documentation examples).</summary>
public class LossesMoreTests
{
    static Tensor D(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    static Tensor L(params long[] v) => Tensor.FromArray(v, [v.Length]);

    static void Near(double expected, Tensor actual, double tol = 1e-14) =>
        Assert.True(Math.Abs(actual.Item<double>() - expected) <= tol * (1 + Math.Abs(expected)), $"{actual.Item<double>():R} vs expected {expected:R}");

    static void NearAll(double[] expected, Tensor actual, double tol = 1e-14) =>
        Nabla.Tests.TestUtil.Approx.Equal(expected, actual.ToDoubleArray(), tol, "loss values");

    static Tensor Leaf(double[] v, params int[] shape) => Tensor.FromArray(v, shape, requiresGrad: true);

    [Fact]
    public void SmoothL1Loss()
    {
        var d = D([0.5, 2, -3], 3);
        var zero = Tensor.Zeros([3], DType.Float64);
        // beta 1: 0.5·0.25, 2 - 0.5, 3 - 0.5.
        NearAll([0.125, 1.5, 2.5], F.SmoothL1Loss(d, zero, Reduction.None));
        Near(4.125 / 3, F.SmoothL1Loss(d, zero));
        // beta 2: 0.5·0.25/2; |2| < 2 is false: 2 - 1; 3 - 1. Half of HuberLoss(delta 2) = [0.125, 2, 4].
        NearAll([0.0625, 1, 2], F.SmoothL1Loss(d, zero, Reduction.None, beta: 2));
        // beta 0 is L1 (PyTorch's special case), in float32 too.
        NearAll([0.5, 2, 3], F.SmoothL1Loss(d.To(DType.Float32), zero.To(DType.Float32), Reduction.None, beta: 0), 1e-7);
        var ex = Assert.Throws<ArgumentException>(() => F.SmoothL1Loss(d, zero, beta: -1));
        Assert.Contains("SmoothL1Loss: beta must be non-negative", ex.Message);
        Assert.Contains("LossesMoreTests.cs:", ex.Message);
    }

    [Fact]
    public void KLDivReductionsAndZeroTargets()
    {
        // input = log q with q rows [0.25, 0.75] and [0.5, 0.5]; target p rows [0.5, 0.5] and [1, 0].
        var input = D([0.25, 0.75, 0.5, 0.5], 2, 2).Log();
        var target = D([0.5, 0.5, 1, 0], 2, 2);
        double ln2 = Math.Log(2), sum = 0.5 * ln2 + 0.5 * Math.Log(2.0 / 3) + ln2;   // the t = 0 term is 0
        NearAll([0.5 * ln2, 0.5 * Math.Log(2.0 / 3), ln2, 0], F.KLDiv(input, target, Reduction.None));
        Near(sum, F.KLDiv(input, target, Reduction.Sum));
        Near(sum / 2, F.KLDiv(input, target, Reduction.BatchMean));
        Near(sum / 4, F.KLDiv(input, target));
        // Log targets: the same first row from log p.
        NearAll([0.5 * ln2, 0.5 * Math.Log(2.0 / 3)], F.KLDiv(input[0], target[0].Log(), Reduction.None, logTarget: true));
        // A negative target is NaN (xlogy of a negative number), as PyTorch.
        Assert.True(double.IsNaN(F.KLDiv(D([0.0], 1), D([-0.5], 1), Reduction.Sum).Item<double>()));
        // The target's gradient: log t + 1 - input where t > 0, and -input at t = 0 (finite).
        var t = Leaf([0.5, 0.5, 1, 0], 2, 2);
        F.KLDiv(input, t, Reduction.Sum).Backward();
        var x = input.ToDoubleArray();
        NearAll([Math.Log(0.5) + 1 - x[0], Math.Log(0.5) + 1 - x[1], 1 - x[2], -x[3]], t.Grad!);
        // BatchMean belongs to KLDiv only.
        var ex = Assert.Throws<ArgumentException>(() => F.MseLoss(input, target, Reduction.BatchMean));
        Assert.Contains("BatchMean is only for KLDiv", ex.Message);
        Assert.Contains("LossesMoreTests.cs:", ex.Message);
    }

    [Fact]
    public void PoissonNllLoss()
    {
        var x = D([0, Math.Log(2)], 2);
        var t = D([1, 3], 2);
        // e^x - t·x: 1 - 0 and 2 - 3·log 2.
        NearAll([1, 2 - 3 * Math.Log(2)], F.PoissonNllLoss(x, t, reduction: Reduction.None));
        // full: the Stirling term only where t > 1 (t = 3): 3·log 3 - 3 + 0.5·log(6π).
        NearAll([1, 2 - 3 * Math.Log(2) + 3 * Math.Log(3) - 3 + 0.5 * Math.Log(6 * Math.PI)], F.PoissonNllLoss(x, t, full: true, reduction: Reduction.None));
        // Rates: x - t·log(x + eps).
        Near(2 - 3 * Math.Log(2 + 1e-8), F.PoissonNllLoss(D([2], 1), D([3], 1), logInput: false));
        Near(2 - 3 * Math.Log(2.5), F.PoissonNllLoss(D([2], 1), D([3], 1), logInput: false, eps: 0.5, reduction: Reduction.Sum));
    }

    [Fact]
    public void GaussianNllLossShapesAndClamp()
    {
        // 0.5·(log v + d²/v): v = 1, d = 1 gives 0.5; v = 4, d = 2 gives 0.5·(log 4 + 1).
        var x = D([1, 2], 2);
        var zero = Tensor.Zeros([2], DType.Float64);
        NearAll([0.5, 0.5 * (Math.Log(4) + 1)], F.GaussianNllLoss(x, zero, D([1, 4], 2), reduction: Reduction.None));
        Near((0.5 + 0.5 * (Math.Log(4) + 1)) / 2 + 0.5 * Math.Log(2 * Math.PI), F.GaussianNllLoss(x, zero, D([1, 4], 2), full: true));
        // One float variance for all: v = 4.
        NearAll([0.5 * (Math.Log(4) + 0.25), 0.5 * (Math.Log(4) + 1)], F.GaussianNllLoss(x, zero, 4.0, reduction: Reduction.None));

        // Variance shapes for input [2, 3]: [2] (per sample) = [2, 1]; [1, 3] broadcasts over samples.
        var input = D([1, 2, 3, 4, 5, 6], 2, 3);
        var target = Tensor.Zeros([2, 3], DType.Float64);
        var perSample = F.GaussianNllLoss(input, target, D([1, 2], 2), reduction: Reduction.None).ToDoubleArray();
        Assert.Equal(perSample, F.GaussianNllLoss(input, target, D([1, 2], 2, 1), reduction: Reduction.None).ToDoubleArray());
        Assert.Equal(0.5 * (Math.Log(2) + 16 / 2.0), perSample[3], 14);
        Assert.Equal(0.5 * (Math.Log(3) + 25 / 3.0), F.GaussianNllLoss(input, target, D([1, 3, 1], 1, 3), reduction: Reduction.None).ToDoubleArray()[4], 14);
        var ex = Assert.Throws<ArgumentException>(() => F.GaussianNllLoss(input, target, D([1, 2, 3], 3)));
        Assert.Contains("GaussianNllLoss: var [3] float64 must have the input's shape", ex.Message);
        Assert.Contains("LossesMoreTests.cs:", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.GaussianNllLoss(x, zero, D([1, -1], 2)));
        Assert.Contains("var (the variances) must be non-negative, found -1", ex.Message);
        Assert.Contains("LossesMoreTests.cs:", ex.Message);

        // var = 0 is clamped to eps = 1e-6 in value; its gradient is the unclamped formula's at v = eps:
        // d/dv 0.5·(log v + d²/v) = 0.5·(1/v - d²/v²), with d = 1.
        var v = Leaf([0.0], 1);
        var loss = F.GaussianNllLoss(D([1], 1), D([0], 1), v);
        Near(0.5 * (Math.Log(1e-6) + 1e6), loss);
        loss.Backward();
        Near(0.5 * (1e6 - 1e12), v.Grad!.Reshape([]));
    }

    [Fact]
    public void CosineEmbeddingAndMarginRanking()
    {
        // Row 0: orthogonal, y = 1: 1 - 0. Row 1: parallel, y = -1, margin 0.5: max(0, 1 - 0.5). Row 2: a zero vector: cos 0;
        // y = -1 gives max(0, 0 - 0.5) = 0. Row 3: label 0 contributes nothing.
        var x1 = D([1, 0, 1, 1, 0, 0, 3, 4], 4, 2);
        var x2 = D([0, 1, 1, 1, 1, 2, 4, 3], 4, 2);
        var y = L(1, -1, -1, 0);
        NearAll([1, 0.5, 0, 0], F.CosineEmbeddingLoss(x1, x2, y, margin: 0.5, reduction: Reduction.None), 1e-12);
        Near(1.5 / 4, F.CosineEmbeddingLoss(x1, x2, y, margin: 0.5), 1e-12);
        // Unbatched: [D] with a 0-d label. cos = 24/25 for (3, 4)·(4, 3).
        Near(1 - 24.0 / 25, F.CosineEmbeddingLoss(D([3, 4], 2), D([4, 3], 2), Tensor.Scalar(1.0)), 1e-12);
        var ex = Assert.Throws<ArgumentException>(() => F.CosineEmbeddingLoss(x1, x2, L(1, 1)));
        Assert.Contains("CosineEmbeddingLoss: expected x1, x2 [N, D] with target [N]", ex.Message);
        Assert.Contains("LossesMoreTests.cs:", ex.Message);

        // max(0, -y·(x1 - x2) + 0.5): 1 + 0.5; 0 + 0.5; -1 + 0.5 → 0.
        var r = F.MarginRankingLoss(D([1, 2, 3], 3), D([2, 2, 2], 3), D([1, -1, 1], 3), margin: 0.5, reduction: Reduction.None);
        NearAll([1.5, 0.5, 0], r);
        Near(2.0 / 3, F.MarginRankingLoss(D([1, 2, 3], 3), D([2, 2, 2], 3), L(1, -1, 1), margin: 0.5));
        ex = Assert.Throws<ArgumentException>(() => F.MarginRankingLoss(D([1, 2], 2), D([1, 2], 2), D([1, 1], 2, 1)));
        Assert.Contains("must have the same rank", ex.Message);
    }

    [Fact]
    public void TripletMarginLoss()
    {
        // eps = 0 for exact distances: d(a, p) = 5, d(a, n) = √34, d(p, n) = 1.
        var a = D([0, 0], 1, 2);
        var p = D([3, 4], 1, 2);
        var n = D([3, 5], 1, 2);
        Near(1 + 5 - Math.Sqrt(34), F.TripletMarginLoss(a, p, n, eps: 0), 1e-14);
        // swap: min(√34, 1) = 1.
        Near(1 + 5 - 1, F.TripletMarginLoss(a, p, n, eps: 0, swap: true));
        // p = 1: |3| + |4| = 7 and 3 + 5 = 8: max(0, 1 + 7 - 8) = 0.
        Near(0, F.TripletMarginLoss(a, p, n, p: 1, eps: 0));
        // The default eps is added to the difference: ‖a - p + 1e-6‖.
        double dap = Math.Sqrt(Math.Pow(-3 + 1e-6, 2) + Math.Pow(-4 + 1e-6, 2)), dan = Math.Sqrt(Math.Pow(-3 + 1e-6, 2) + Math.Pow(-5 + 1e-6, 2));
        Near(2 + dap - dan, F.TripletMarginLoss(a, p, n, margin: 2));
        var ex = Assert.Throws<ArgumentException>(() => F.TripletMarginLoss(a, p, D([1.0], 1)));
        Assert.Contains("TripletMarginLoss: anchor [1, 2] float64", ex.Message);
        Assert.Contains("LossesMoreTests.cs:", ex.Message);
    }

    [Fact]
    public void HingeSoftMarginAndMultiLabel()
    {
        // Hinge, margin 1: y = 1 gives x; y = -1 gives max(0, 1 - x); any other label both.
        NearAll([0.3, 0, 2, 0.5 + 0.5], F.HingeEmbeddingLoss(D([0.3, 2, -1, 0.5], 4), L(1, -1, -1, 0), reduction: Reduction.None));
        // Soft margin: log(1 + e^(-y·x)); large scores stay exact (1000, not inf).
        NearAll([Math.Log(2), Math.Log(1 + Math.Exp(2)), 1000], F.SoftMarginLoss(D([0, 2, 1000], 3), D([1, -1, -1], 3), Reduction.None));
        var x = Leaf([0, 0], 2);
        F.SoftMarginLoss(x, D([1, -1], 2), Reduction.Sum).Backward();
        NearAll([-0.5, 0.5], x.Grad!);   // -y·σ(-y·x) at 0
        // Multi-label: per class t·log(1 + e^(-x)) + (1 - t)·log(1 + e^x), averaged over classes.
        var scores = D([0, 2], 1, 2);
        var t = D([1, 0], 1, 2);
        Near((Math.Log(2) + Math.Log(1 + Math.Exp(2))) / 2, F.MultiLabelSoftMarginLoss(scores, t));
        Near((2 * Math.Log(2) + Math.Log(1 + Math.Exp(2))) / 2, F.MultiLabelSoftMarginLoss(scores, t, D([2, 1], 2)));
        var ex = Assert.Throws<ArgumentException>(() => F.MultiLabelSoftMarginLoss(scores, t, D([2, 1, 1], 3)));
        Assert.Contains("MultiLabelSoftMarginLoss: weight must be [2]", ex.Message);
        Assert.Contains("LossesMoreTests.cs:", ex.Message);
    }

    [Fact]
    public void MultiMarginLossPyTorchExample()
    {
        // PyTorch's documentation example: x = [[0.1, 0.2, 0.4, 0.8]], y = [3]:
        // ((1 - 0.8 + 0.1) + (1 - 0.8 + 0.2) + (1 - 0.8 + 0.4)) / 4 = 0.325.
        var x = D([0.1, 0.2, 0.4, 0.8], 1, 4);
        Near((0.3 + 0.4 + 0.6) / 4, F.MultiMarginLoss(x, L(3)));
        // p = 2 squares each term; a weight multiplies by w[y] after the power.
        Near((0.09 + 0.16 + 0.36) / 4, F.MultiMarginLoss(x, L(3), p: 2));
        Near(2 * (0.09 + 0.16 + 0.36) / 4, F.MultiMarginLoss(x, L(3), p: 2, weight: D([5, 5, 5, 2], 4)));
        // Unbatched [C] with a 0-d target; margin 0.1: every 0.1 - 0.8 + x[i] is negative → 0.
        Near(0, F.MultiMarginLoss(D([0.1, 0.2, 0.4, 0.8], 4), Tensor.FromArray(new long[] { 3 }, []), margin: 0.1));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.MultiMarginLoss(x, L(4)));
        Assert.Contains("MultiMarginLoss: target 4 is out of range for 4 classes", ex.Message);
        Assert.Contains("LossesMoreTests.cs:", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => F.MultiMarginLoss(x, L(3), p: 3));
        Assert.Contains("p must be 1 or 2", ex2.Message);
    }

    [Fact]
    public void CrossEntropyWithClassProbabilities()
    {
        // -Σ t·(x - lse) = lse - Σ t·x with x = [1, 2, 3] and t = [0.2, 0.3, 0.5]: lse - 2.3.
        double lse = Math.Log(Math.E + Math.Exp(2) + Math.Exp(3));
        var logits = D([1, 2, 3, 1, 1, 1], 2, 3);
        var probs = D([0.2, 0.3, 0.5, 1, 0, 0], 2, 3);
        NearAll([lse - 2.3, Math.Log(3)], F.CrossEntropy(logits, probs, reduction: Reduction.None));
        Near((lse - 2.3 + Math.Log(3)) / 2, F.CrossEntropy(logits, probs));
        Near(lse - 2.3, F.CrossEntropy(logits[0], probs[0]));   // unbatched [C]
        // One-hot probabilities equal class indices, also with weights and smoothing (reduction None and Sum; Mean differs:
        // soft targets divide by N, indices by Σ w[t]).
        var oneHot = D([0, 0, 1, 1, 0, 0], 2, 3);
        var w = D([1, 2, 3], 3);
        var labels = L(2, 0);
        NearAll(F.CrossEntropy(logits, labels, w, reduction: Reduction.None, labelSmoothing: 0.1).ToDoubleArray(),
            F.CrossEntropy(logits, oneHot, w, reduction: Reduction.None, labelSmoothing: 0.1));
        Near(F.CrossEntropy(logits, labels, w, reduction: Reduction.Sum).Item<double>(), F.CrossEntropy(logits, oneHot, w, reduction: Reduction.Sum));
        Near(F.CrossEntropy(logits, labels, w, reduction: Reduction.Sum).Item<double>() / 2, F.CrossEntropy(logits, oneHot, w));
        // float32 as well.
        Assert.Equal(lse - 2.3, F.CrossEntropy(logits.To(DType.Float32), probs.To(DType.Float32), reduction: Reduction.None).ToDoubleArray()[0], 5);
        // An empty batch: NaN with Mean (0/0), as PyTorch.
        Assert.True(double.IsNaN(F.CrossEntropy(Tensor.Zeros([0, 3], DType.Float64), Tensor.Zeros([0, 3], DType.Float64)).Item<double>()));

        var ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, D([0.5, 0.5], 1, 2)));
        Assert.Contains("CrossEntropy: class-probability targets must have the input's shape", ex.Message);
        Assert.Contains("LossesMoreTests.cs:", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, probs, ignoreIndex: 0));
        Assert.Contains("ignoreIndex (0) is not supported", ex.Message);
        // The class-index range error names the caller's line too.
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(logits, L(2, 3)));
        Assert.Contains("CrossEntropy: target 3 is out of range for 3 classes", range.Message);
        Assert.Contains("LossesMoreTests.cs:", range.Message);
        range = Assert.Throws<ArgumentOutOfRangeException>(() => F.NllLoss(logits, L(-1, 0)));
        Assert.Contains("NllLoss: target -1 is out of range", range.Message);
        Assert.Contains("LossesMoreTests.cs:", range.Message);
    }
}
