using Nabla.NN;
using Nabla.Tests.OpDb;
using Nabla.Tests.TestUtil;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>
/// Gradients of every layer in float64: GradCheck (central differences) with respect to inputs and
/// parameters through the functional forms, second order for several, and parameter gradients of the
/// modules themselves (finite differences by assigning perturbed values to the Variables).
/// </summary>
public class LayerGradTests
{
    static Tensor U(int seed, params int[] shape) => Samples.Uniform(seed, shape);

    static void Check(Func<Tensor[], Tensor> f, params Tensor[] xs) => Assert.True(GradCheck.Check(f, xs));

    static void CheckBoth(Func<Tensor[], Tensor> f, params Tensor[] xs)
    {
        Assert.True(GradCheck.Check(f, xs));
        Assert.True(GradCheck.CheckSecondOrder(f, xs));
    }

    /// <summary>
    /// d/dp Σ(module(x)·r) by Autograd.Grad against central differences, perturbing each parameter
    /// element through Variable.Assign (the path an optimizer uses).
    /// </summary>
    static void CheckParameters(Module m, Tensor x, double tol = 1e-7)
    {
        var r = TestTensors.RandomLike(m.Call(x), seed: 3);
        Tensor Loss() => (m.Call(x) * r).Sum();
        var ps = m.Parameters().ToArray();
        Assert.NotEmpty(ps);
        var grads = Autograd.Grad([Loss()], ps);
        const double h = 1e-6;
        for (int k = 0; k < ps.Length; k++)
        {
            var p = ps[k];
            var orig = p.ToArray<double>();
            var g = grads[k]!.ToArray<double>();
            for (int i = 0; i < orig.Length; i++)
            {
                double Eval(double v)
                {
                    var data = (double[])orig.Clone();
                    data[i] = v;
                    p.Assign(Tensor.FromArray(data, p.Shape.ToArray()));
                    using (Autograd.NoGrad()) return Loss().Item<double>();
                }
                double fd = (Eval(orig[i] + h) - Eval(orig[i] - h)) / (2 * h);
                p.Assign(Tensor.FromArray(orig, p.Shape.ToArray()));
                Assert.True(Math.Abs(fd - g[i]) <= tol * (1 + Math.Abs(fd)), $"{m.GetType().Name} parameter {k} element {i}: autograd {g[i]:R}, finite differences {fd:R}");
            }
        }
    }

    [Fact]
    public void LinearGradients()
    {
        CheckBoth(x => F.Linear(x[0], x[1], x[2]), U(1, 4, 3), U(2, 2, 3), U(3, 2));
        CheckParameters(new Linear(3, 2, seed: 0, dtype: DType.Float64), U(4, 5, 3));
    }

    [Fact]
    public void Conv2dModuleGradients()
    {
        var conv = new Conv2d(4, 2, (2, 3), stride: (2, 1), padding: (1, 0), dilation: (1, 2), groups: 2, seed: 1, dtype: DType.Float64);
        CheckParameters(conv, U(5, 2, 4, 5, 6));
        Check(x => conv.Call(x[0]), U(6, 1, 4, 5, 6));
    }

    [Fact]
    public void PoolingAndFlattenGradientsThroughModules()
    {
        var model = new Sequential(new MaxPool2d(2, stride: 1), new AvgPool2d(2, padding: 1), new Flatten());
        Check(x => model.Call(x[0]), OpDb.OpDb.Distinct(7, [2, 1, 4, 5]));
    }

    [Fact]
    public void BatchNormGradientsInTrainingAndEvaluation()
    {
        // Training: batch statistics, exact to second order.
        CheckBoth(x => F.BatchNorm(x[0], null, null, x[1], x[2], training: true), U(8, 4, 3, 2), U(9, 3), U(10, 3));
        // Evaluation: running statistics are constants.
        var rm = U(11, 3);
        var rv = Samples.Positive(12, [3]);
        Check(x => F.BatchNorm(x[0], rm, rv, x[1], x[2]), U(13, 2, 3), U(14, 3), U(15, 3));
        var bn = new BatchNorm2d(2, dtype: DType.Float64);
        CheckParameters(bn, U(16, 3, 2, 2, 2));
        Check(x => bn.Call(x[0]), U(17, 2, 2, 2, 3));
    }

    [Fact]
    public void LayerNormGradients()
    {
        CheckBoth(x => F.LayerNorm(x[0], [2, 3], x[1], x[2]), U(18, 2, 2, 3), U(19, 2, 3), U(20, 2, 3));
        CheckParameters(new LayerNorm(4, dtype: DType.Float64), U(21, 3, 4));
    }

    [Fact]
    public void EmbeddingGradients()
    {
        var idx = Tensor.FromArray(new long[] { 0, 2, 2, 3, 1, 0 }, [2, 3]);
        CheckBoth(x => F.Embedding(idx, x[0]), U(22, 4, 2));
        CheckParameters(new Embedding(4, 3, seed: 2, dtype: DType.Float64), idx);
    }

    [Fact]
    public void ActivationAndDropoutGradients()
    {
        var x = OpDb.OpDb.AwayFromZero(23, [3, 4]);
        CheckBoth(xs => F.Gelu(xs[0]), x);
        CheckBoth(xs => F.Gelu(xs[0], GeluApproximation.Tanh), x);
        Check(xs => new Sequential(new ReLU(), new Sigmoid(), new Tanh(), new Softmax(1), new LogSoftmax(0)).Call(xs[0]), x);
        // A fixed seed fixes the mask, so dropout is a fixed linear map.
        CheckBoth(xs => F.Dropout(xs[0], 0.4, seed: 5), x);
    }

    [Fact]
    public void LossGradients()
    {
        var a = U(24, 4, 3);
        var b = U(25, 4, 3);
        CheckBoth(x => F.MseLoss(x[0], x[1]), a, b);
        Check(x => F.L1Loss(x[0], x[1], Reduction.Sum), a, b);
        Check(x => F.HuberLoss(x[0], x[1], Reduction.None, delta: 0.7), a, b);
        var targets = Tensor.FromArray(new long[] { 2, 0, -100, 1 }, [4]);
        var w = Samples.Positive(26, [3]);
        CheckBoth(x => F.CrossEntropy(x[0], targets, w, labelSmoothing: 0.2), a);
        Check(x => F.CrossEntropy(x[0], targets, reduction: Reduction.None, labelSmoothing: 0.1), a);
        Check(x => F.NllLoss(x[0], targets, reduction: Reduction.Sum), a);
        var probs = Samples.Uniform(27, [4, 3], 0.1, 0.9);
        var y = Samples.Uniform(28, [4, 3], 0, 1);
        Check(x => F.BinaryCrossEntropy(x[0], x[1], w), probs, y);
        CheckBoth(x => F.BinaryCrossEntropyWithLogits(x[0], x[1], w, posWeight: Samples.Positive(29, [3])), a, y);
    }
}
