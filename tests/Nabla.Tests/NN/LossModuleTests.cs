using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>Every loss module computes its functional form with its constructor options, holds weights as buffers, and refuses one tensor.</summary>
public class LossModuleTests
{
    static Tensor D(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    static void Same(Tensor expected, Tensor actual) => Assert.Equal(expected.ToDoubleArray(), actual.ToDoubleArray());

    [Fact]
    public void TwoInputModulesMatchTheirFunctions()
    {
        var x = Samples(1, [3, 4]);
        var y = Samples(2, [3, 4]);
        var probs = (Samples(3, [3, 4]) * 0.2 + 0.5);
        var labels = Tensor.FromArray(new long[] { 3, 0, 2 }, [3]);
        var w = D([1, 2, 3, 4], 4);
        var cases = new (Loss Module, Tensor Expected, Tensor Input, Tensor Target)[]
        {
            (new MseLoss(Reduction.Sum), F.MseLoss(x, y, Reduction.Sum), x, y),
            (new L1Loss(), F.L1Loss(x, y), x, y),
            (new HuberLoss(delta: 0.5), F.HuberLoss(x, y, delta: 0.5), x, y),
            (new SmoothL1Loss(Reduction.None, beta: 0.5), F.SmoothL1Loss(x, y, Reduction.None, 0.5), x, y),
            (new KLDivLoss(Reduction.BatchMean, logTarget: true), F.KLDiv(x, y, Reduction.BatchMean, logTarget: true), x, y),
            (new PoissonNllLoss(full: true), F.PoissonNllLoss(x, probs, full: true), x, probs),
            (new BceLoss(w), F.BinaryCrossEntropy(probs, probs, w), probs, probs),
            (new BceWithLogitsLoss(posWeight: w), F.BinaryCrossEntropyWithLogits(x, probs, posWeight: w), x, probs),
            (new NllLoss(w, ignoreIndex: 0), F.NllLoss(x, labels, w, ignoreIndex: 0), x, labels),
            (new CrossEntropyLoss(w, labelSmoothing: 0.1), F.CrossEntropy(x, labels, w, labelSmoothing: 0.1), x, labels),
            (new CrossEntropyLoss(), F.CrossEntropy(x, probs), x, probs),
            (new HingeEmbeddingLoss(margin: 0.5), F.HingeEmbeddingLoss(x, y.Sign(), 0.5), x, y.Sign()),
            (new SoftMarginLoss(), F.SoftMarginLoss(x, y.Sign()), x, y.Sign()),
            (new MultiLabelSoftMarginLoss(w), F.MultiLabelSoftMarginLoss(x, probs, w), x, probs),
            (new MultiMarginLoss(p: 2, margin: 0.5, weight: w), F.MultiMarginLoss(x, labels, 2, 0.5, w), x, labels),
        };
        foreach (var (module, expected, input, target) in cases)
            Same(expected, module.Call(input, target));
    }

    [Fact]
    public void MultiInputModulesMatchTheirFunctions()
    {
        var a = Samples(4, [3, 2]);
        var b = Samples(5, [3, 2]);
        var c = Samples(6, [3, 2]);
        var y = D([1, -1, 1], 3);
        Same(F.CosineEmbeddingLoss(a, b, y, 0.2), new CosineEmbeddingLoss(0.2).Call(a, b, y));
        Same(F.MarginRankingLoss(a, b, y.Unsqueeze(1), 0.3, Reduction.None), new MarginRankingLoss(0.3, Reduction.None).Call(a, b, y.Unsqueeze(1)));
        Same(F.TripletMarginLoss(a, b, c, 0.5, 1, 1e-3, true), new TripletMarginLoss(0.5, 1, 1e-3, swap: true).Call(a, b, c));
        var v = a.Abs() + 0.1;
        Same(F.GaussianNllLoss(a, b, v, full: true, reduction: Reduction.Sum), new GaussianNllLoss(full: true, reduction: Reduction.Sum).Call(a, b, v));
    }

    [Fact]
    public void WeightsAreBuffersAndOneTensorIsAnError()
    {
        var w = D([1, 2, 3], 3);
        var ce = new CrossEntropyLoss(w, labelSmoothing: 0.1);
        Assert.Same(w, ce.Weight);
        Assert.Equal([1.0, 2, 3], ce.StateDict()["weight"].ToDoubleArray());
        Assert.Empty(ce.Parameters());
        Assert.Equal(["pos_weight"], new BceWithLogitsLoss(posWeight: w).StateDict().Keys);
        Assert.Empty(new MseLoss().StateDict());
        Assert.Equal("CrossEntropyLoss(reduction=Mean, ignoreIndex=-100, labelSmoothing=0.1)", ce.ToString());
        // Reduction is settable, as PyTorch's attribute.
        ce.Reduction = Reduction.Sum;
        var x = Samples(7, [2, 3]);
        var t = Tensor.FromArray(new long[] { 0, 2 }, [2]);
        Same(F.CrossEntropy(x, t, w, reduction: Reduction.Sum, labelSmoothing: 0.1), ce.Call(x, t));
        var ex = Assert.Throws<InvalidOperationException>(() => ce.Call(x));
        Assert.Contains("CrossEntropyLoss: a loss takes an input and a target", ex.Message);
        Assert.Contains("LossModuleTests.cs:", ex.Message);
    }

    static Tensor Samples(int seed, int[] shape) => Nabla.Tests.OpDb.Samples.Uniform(seed, shape);
}
