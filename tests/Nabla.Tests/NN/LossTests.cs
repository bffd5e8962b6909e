using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>Losses against values computed by hand from PyTorch's definitions.</summary>
public class LossTests
{
    static Tensor D(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    static Tensor L(params long[] v) => Tensor.FromArray(v, [v.Length]);

    static void Near(double expected, Tensor actual, double tol = 1e-14) =>
        Assert.True(Math.Abs(actual.Item<double>() - expected) <= tol * (1 + Math.Abs(expected)), $"{actual.Item<double>():R} vs expected {expected:R}");

    static void NearAll(double[] expected, Tensor actual) =>
        Nabla.Tests.TestUtil.Approx.Equal(expected, actual.ToDoubleArray(), 1e-14, "loss values");

    [Fact]
    public void RegressionLosses()
    {
        var x = D([1, 2, 3], 3);
        var y = D([1, 0, 0], 3);
        Near(13.0 / 3, F.MseLoss(x, y));
        Near(13, F.MseLoss(x, y, Reduction.Sum));
        Assert.Equal([0, 4, 9], F.MseLoss(x, y, Reduction.None).ToArray<double>());
        Near(5.0 / 3, F.L1Loss(x, y));
        // Huber, d = [0.5, 2, -3]: 0.5·0.25, 1·(2 - 0.5), 1·(3 - 0.5).
        var h = D([0.5, 2, -3], 3);
        var zero = Tensor.Zeros([3], DType.Float64);
        Near((0.125 + 1.5 + 2.5) / 3, F.HuberLoss(h, zero));
        // delta = 2: |2| < 2 is false, so 2·(2 - 1) = 2 (PyTorch's strict <); -3 gives 2·(3 - 1).
        Assert.Equal([0.125, 2, 4], F.HuberLoss(h, zero, Reduction.None, delta: 2).ToArray<double>());
        var ex = Assert.Throws<ArgumentException>(() => F.MseLoss(D([1, 2], 2, 1), D([1, 2], 2)));
        Assert.Contains("same shape", ex.Message);
    }

    [Fact]
    public void CrossEntropyByHand()
    {
        var logits = D([1, 2, 3, 1, 1, 1], 2, 3);
        var t = L(2, 0);
        double lse = Math.Log(Math.E + Math.Exp(2) + Math.Exp(3));
        double l0 = lse - 3, l1 = Math.Log(3);
        Near((l0 + l1) / 2, F.CrossEntropy(logits, t));
        Near(l0 + l1, F.CrossEntropy(logits, t, reduction: Reduction.Sum));
        Assert.Equal(l0, F.CrossEntropy(logits, t, reduction: Reduction.None).ToArray<double>()[0], 14);
        // int32 targets work the same.
        Near((l0 + l1) / 2, F.CrossEntropy(logits, Tensor.FromArray(new[] { 2, 0 }, [2])));
        // NllLoss on log-softmax is the same thing.
        Near((l0 + l1) / 2, F.NllLoss(logits.LogSoftmax(1), t));

        // Class weights w = [1, 2, 3]: Σ w[t]·l / Σ w[t] = (3·l0 + 1·l1) / 4.
        var w = D([1, 2, 3], 3);
        Near((3 * l0 + l1) / 4, F.CrossEntropy(logits, t, w));
        NearAll([3 * l0, l1], F.CrossEntropy(logits, t, w, reduction: Reduction.None));
    }

    [Fact]
    public void CrossEntropyLabelSmoothingFollowsPyTorch()
    {
        var logits = D([1, 2, 3, 1, 1, 1], 2, 3);
        var t = L(2, 0);
        double lse = Math.Log(Math.E + Math.Exp(2) + Math.Exp(3));
        double l0 = lse - 3, l1 = Math.Log(3);
        // smooth_n = -Σ_c logp[n, c]: 3·lse - 6 and 3·log 3.
        double s0 = 3 * lse - 6, s1 = 3 * Math.Log(3);
        const double eps = 0.1;
        Near((1 - eps) * (l0 + l1) / 2 + eps / 3 * (s0 + s1) / 2, F.CrossEntropy(logits, t, labelSmoothing: eps));
        // Equivalent: the cross entropy with the smoothed target (1 - ε)·onehot + ε/C.
        double q0 = -((eps / 3) * (1 - lse) + (eps / 3) * (2 - lse) + (1 - eps + eps / 3) * (3 - lse));
        Assert.Equal(q0, F.CrossEntropy(logits, t, reduction: Reduction.None, labelSmoothing: eps).ToArray<double>()[0], 14);
        // With weights, mean divides both parts by Σ w[t_n] = 4; smooth_n = -Σ_c w_c·logp[n, c].
        var w = D([1, 2, 3], 3);
        double ws0 = -(1 * (1 - lse) + 2 * (2 - lse) + 3 * (3 - lse)), ws1 = 6 * Math.Log(3);
        Near((1 - eps) * (3 * l0 + l1) / 4 + eps / 3 * (ws0 + ws1) / 4, F.CrossEntropy(logits, t, w, labelSmoothing: eps));
        Near((1 - eps) * (3 * l0 + l1) + eps / 3 * (ws0 + ws1), F.CrossEntropy(logits, t, w, reduction: Reduction.Sum, labelSmoothing: eps));
    }

    [Fact]
    public void IgnoreIndexDropsSamples()
    {
        var logits = D([1, 2, 3, 1, 1, 1, 0, 5, 0], 3, 3);
        double lse = Math.Log(Math.E + Math.Exp(2) + Math.Exp(3));
        Near(lse - 3, F.CrossEntropy(logits, L(2, -100, -100)));
        Near((lse - 3 + Math.Log(3)) / 2, F.CrossEntropy(logits, L(2, 0, 7), ignoreIndex: 7));
        NearAll([lse - 3, 0, 0], F.CrossEntropy(logits, L(2, -100, -100), reduction: Reduction.None));
        // Label smoothing: ignored samples add nothing and the mean counts only kept ones.
        double s0 = 3 * lse - 6;
        Near(0.8 * (lse - 3) + 0.2 / 3 * s0, F.CrossEntropy(logits, L(2, -100, -100), labelSmoothing: 0.2));
        // All ignored: 0/0 = NaN, as PyTorch.
        Assert.True(double.IsNaN(F.CrossEntropy(logits, L(-100, -100, -100)).Item<double>()));
        // Gradients reach only kept rows.
        var leaf = logits.Detach();
        leaf.RequiresGrad = true;
        F.CrossEntropy(leaf, L(2, -100, -100)).Backward();
        Assert.Equal([0, 0, 0, 0, 0, 0], leaf.Grad!.ToArray<double>()[3..]);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(logits, L(2, 3, 0)));
        Assert.Contains("target 3 is out of range for 3 classes", ex.Message);
    }

    [Fact]
    public void LargeLogitsNeitherOverflowNorGiveNaN()
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var logits = D([1e4, 0, -1e4, 5e3, 5e3, 0], 2, 3).To(dtype);
            var loss = F.CrossEntropy(logits, L(1, 0), reduction: Reduction.None).ToDoubleArray();
            Assert.Equal(1e4, loss[0], 9);
            Assert.Equal(Math.Log(2), loss[1], 6);
            var leaf = logits.Detach();
            leaf.RequiresGrad = true;
            F.CrossEntropy(leaf, L(1, 0), labelSmoothing: 0.1).Backward();
            Assert.All(leaf.Grad!.ToDoubleArray(), v => Assert.True(double.IsFinite(v)));
        }
    }

    [Fact]
    public void CrossEntropyOnSpatialAndUnbatchedInputs()
    {
        // [N, C, d]: classes in dim 1, one target per (n, d). Same numbers as the 2-d form per position.
        var logits = D([1, 4, 2, 5, 3, 6, 0, 0, 1, 0, 2, 9], 2, 3, 2);
        var t = Tensor.FromArray(new long[] { 2, 0, 1, 2 }, [2, 2]);
        var flat = logits.Permute(0, 2, 1).Reshape(4, 3);
        var expected = F.CrossEntropy(flat, t.Reshape(4), reduction: Reduction.None).ToArray<double>();
        var none = F.CrossEntropy(logits, t, reduction: Reduction.None);
        Assert.Equal([2, 2], none.Shape.ToArray());
        Assert.Equal(expected, none.ToArray<double>());
        Near(expected.Average(), F.CrossEntropy(logits, t, labelSmoothing: 0) );
        Near(F.CrossEntropy(flat, t.Reshape(4), labelSmoothing: 0.3).Item<double>(), F.CrossEntropy(logits, t, labelSmoothing: 0.3));
        // Unbatched [C] with a 0-d target.
        Near(Math.Log(Math.E + Math.Exp(2) + Math.Exp(3)) - 3, F.CrossEntropy(D([1, 2, 3], 3), Tensor.FromArray(new long[] { 2 }, [1]).Reshape([])));
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, t.Reshape(4)));
    }

    [Fact]
    public void BinaryCrossEntropyClampsLogsAt100()
    {
        var x = D([0.5, 0.9, 0, 0, 1], 5);
        var y = D([1, 0, 0, 1, 1], 5);
        var loss = F.BinaryCrossEntropy(x, y, reduction: Reduction.None).ToArray<double>();
        Assert.Equal(Math.Log(2), loss[0], 15);
        Assert.Equal(-Math.Log(0.1), loss[1], 14);
        Assert.Equal(0, loss[2]);
        Assert.Equal(100, loss[3]);                                           // -log 0 clamped
        Assert.Equal(0, loss[4]);
        Near((Math.Log(2) - Math.Log(0.1) + 100) / 5, F.BinaryCrossEntropy(x, y));
        Near(2 * Math.Log(2), F.BinaryCrossEntropy(D([0.5], 1), D([1], 1), D([2], 1)));
        Assert.Throws<ArgumentException>(() => F.BinaryCrossEntropy(D([1.5], 1), D([1], 1)));
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsIsStable()
    {
        var x = D([0, 2, -3, 1e4, -1e4, -1e4], 6);
        var y = D([1, 0, 1, 1, 0, 1], 6);
        var loss = F.BinaryCrossEntropyWithLogits(x, y, reduction: Reduction.None).ToArray<double>();
        Assert.Equal(Math.Log(2), loss[0], 15);                               // log(1 + e^0)
        Assert.Equal(Math.Log(1 + Math.Exp(2)), loss[1], 14);                 // y = 0: log(1 + e^x)
        Assert.Equal(Math.Log(1 + Math.Exp(3)), loss[2], 14);                 // y = 1: log(1 + e^-x)
        Assert.Equal(0, loss[3]);
        Assert.Equal(0, loss[4]);
        Assert.Equal(1e4, loss[5]);
        // pos_weight multiplies the positive term: 3·log 2 at x = 0, y = 1.
        Assert.Equal(3 * Math.Log(2), F.BinaryCrossEntropyWithLogits(D([0], 1), D([1], 1), reduction: Reduction.Sum, posWeight: D([3], 1)).Item<double>(), 15);
        // Same as BCE on sigmoid where that is accurate.
        var mid = D([0.3, -1.2, 2.5], 3);
        var target = D([0.2, 1, 0], 3);
        Near(F.BinaryCrossEntropy(mid.Sigmoid(), target).Item<double>(), F.BinaryCrossEntropyWithLogits(mid, target), 1e-13);
        // The gradient at x = 0 is σ(0) - y = -0.5 (no kink artefact), and finite at ±1e4.
        var leaf = x.Detach();
        leaf.RequiresGrad = true;
        F.BinaryCrossEntropyWithLogits(leaf, y, reduction: Reduction.Sum).Backward();
        var g = leaf.Grad!.ToArray<double>();
        Assert.Equal(-0.5, g[0], 15);
        Assert.Equal(1 / (1 + Math.Exp(-2)), g[1], 15);
        Assert.Equal(-1, g[5], 15);
    }
}
