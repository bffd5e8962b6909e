using Nabla.NN;

namespace Nabla.Tests.Graphs;

/// <summary>
/// Every layer and loss of Nabla.NN compiled with a dynamic batch dimension, forward and gradients, against eager code
/// bitwise at several batch sizes, from one trace: a library path that turned a batch size into a number (a mean's
/// divisor, a mask's shape) would give other numbers at the sizes it was not traced with.
/// </summary>
[Collection("Default generator")]
public class DynamicLayersTests
{
    static double[] D(Tensor t) => t.ToArray<double>();

    static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, seed: seed);

    static Tensor Labels(int seed, int n, int classes) =>
        Tensor.FromArray(Enumerable.Range(0, n).Select(k => (long)((k * 7 + seed) % classes)).ToArray(), [n]);

    /// <summary>
    /// Compiles <paramref name="f"/> on one module made by <paramref name="make"/> (x, y with dim 0 of both dynamic) and
    /// runs it eagerly on another, checking the value and the gradients of every parameter (and of x when it is
    /// floating) at each size, bitwise.
    /// </summary>
    static void SameAsEager(string what, Func<Module> make, Func<int, Tensor> input, Func<int, Tensor> target,
        Func<Module, Func<Tensor, Tensor, Tensor>> f, int[] inputRest, int[] targetRest)
    {
        var signature = new CompileOptions { InputSignature = [new TensorSpec([null, .. inputRest.Select(d => (int?)d)]), new TensorSpec([null, .. targetRest.Select(d => (int?)d)])] };
        var (moduleE, moduleC) = (make(), make());
        var (eager, compiled) = (f(moduleE), Graph.Compile(f(moduleC), signature));
        int step = 0;
        foreach (var n in new[] { 6, 3, 9, 6, 2 })
        {
            var (x, y) = (input(n), target(n));
            Tensor[] Run(Module module, Func<Tensor, Tensor, Tensor> g, out Tensor value)
            {
                Tensor.ManualSeed(50 + step);   // the same draws from the global generator
                var xs = x;
                if (x.DType.IsFloating()) { xs = x.Detach(); xs.RequiresGrad = true; }
                value = g(xs, y);
                Tensor[] wrt = [.. module.Parameters(), .. x.DType.IsFloating() ? new[] { xs } : []];
                return [.. Autograd.Grad([value], wrt, allowUnused: true).Select(t => t ?? Tensor.Zeros([1], DType.Float64))];
            }
            var ge = Run(moduleE, eager, out var ve);
            var gc = Run(moduleC, compiled.Call, out var vc);
            Assert.True(D(ve).SequenceEqual(D(vc)), $"{what}, batch {n}: value {D(vc)[0]:R}, eager {D(ve)[0]:R}; {compiled.Explain()}");
            for (int k = 0; k < ge.Length; k++)
                Assert.True(D(ge[k]).SequenceEqual(D(gc[k])), $"{what}, batch {n}: gradient {k} differs from eager; {compiled.Explain()}");
            step++;
        }
        Assert.True(compiled.TraceCount == 1, $"{what}: {compiled.Explain()}");
    }


    [Fact]
    public void ConvPoolNormAndActivationsFollowTheBatch()
    {
        static Module Net() => new Sequential(
            new Conv2d(2, 3, 3, stride: 2, padding: 1, seed: 1, dtype: DType.Float64), new BatchNorm2d(3, dtype: DType.Float64), new ELU(),
            new AvgPool2d(2), new Conv2d(3, 4, 1, seed: 2, dtype: DType.Float64), new GELU(), new MaxPool2d(2, padding: 1), new Flatten(),
            new LayerNorm(16, dtype: DType.Float64), new Linear(16, 5, seed: 3, dtype: DType.Float64), new Sigmoid(), new Tanh(), new ReLU());
        SameAsEager("CNN", Net, n => Randn(n, n, 2, 8, 8), n => Randn(n + 100, n, 5),
            net => (x, y) => Functional.MseLoss(net.Call(x), y), [2, 8, 8], [5]);
    }

    [Fact]
    public void DropoutFromTheGlobalGeneratorAndASeededLayerFollowTheBatch()
    {
        static Module Net() => new Sequential(new Linear(4, 6, seed: 1, dtype: DType.Float64), new Dropout(0.3), new ReLU(), new Dropout(0.2, seed: 7),
            new Linear(6, 2, seed: 2, dtype: DType.Float64), new BatchNorm1d(2, dtype: DType.Float64));
        SameAsEager("dropout", Net, n => Randn(n, n, 4), n => Randn(n + 100, n, 2), net => (x, y) => Functional.HuberLoss(net.Call(x), y), [4], [2]);
    }

    [Fact]
    public void ClassificationLossesFollowTheBatch()
    {
        static Module Lin() => new Linear(4, 3, seed: 1, dtype: DType.Float64);
        var weight = Tensor.FromArray(new double[] { 0.5, 2.0, 1.0 }, [3]);
        SameAsEager("cross entropy", Lin, n => Randn(n, n, 4), n => Labels(n, n, 3), lin => (x, y) => Functional.CrossEntropy(lin.Call(x), y), [4], []);
        SameAsEager("weighted, smoothed, ignoring", Lin, n => Randn(n, n, 4), n => Labels(n, n, 3),
            lin => (x, y) => Functional.CrossEntropy(lin.Call(x), y, weight: weight, ignoreIndex: 1, labelSmoothing: 0.1), [4], []);
        SameAsEager("nll sum", Lin, n => Randn(n, n, 4), n => Labels(n, n, 3),
            lin => (x, y) => Functional.NllLoss(lin.Call(x).LogSoftmax(1), y, reduction: Reduction.Sum), [4], []);
        SameAsEager("bce", Lin, n => Randn(n, n, 4), n => Randn(n + 50, n, 3).Sigmoid(),
            lin => (x, y) => Functional.BinaryCrossEntropy(lin.Call(x).Sigmoid(), y) + Functional.BinaryCrossEntropyWithLogits(lin.Call(x), y), [4], [3]);
    }

    [Fact]
    public void EmbeddingFollowsTheBatchOfIndices()
    {
        SameAsEager("embedding", () => new Embedding(7, 3, seed: 1, dtype: DType.Float64), n => Labels(n, n, 7), n => Randn(n, n, 3),
            emb => (i, y) => Functional.MseLoss(emb.Call(i), y), [], [3]);
    }

    [Fact]
    public void SoftmaxAndReductionsOverTheBatchFollowIt()
    {
        SameAsEager("softmax over the batch", () => new Sequential(), n => Randn(n, n, 3), n => Randn(n + 9, n, 3),
            _ => (x, y) => (x.Softmax(0) * y).Sum() + x.LogSoftmax(0).Mean(0).Sum() + x.Max(0).Sum() + (x - x.Mean()).Sum(1).Mean(), [3], [3]);
    }
}
