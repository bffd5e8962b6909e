using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.IO;

namespace Nabla.Tests.Graphs;

/// <summary>
/// Dynamic dimensions (CompileOptions.InputSignature with null sizes): one trace serves every batch size, with
/// results bitwise equal to eager code at each size; what can't follow a dynamic size keeps the trace specialized
/// and Explain says why; calls that don't fit the signature throw.
/// </summary>
[Collection("Default generator")]
public class DynamicDimsTests
{
    static double[] D(Tensor t) => t.ToArray<double>();

    static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, seed: seed);

    static CompileOptions Batch(params int?[][] shapes) => new() { InputSignature = [.. shapes.Select(s => new TensorSpec(s))] };

    static Module Mlp() => CompiledZooTests.Mlp();

    [Fact]
    public void OneTraceServesEveryBatchSizeOfAnMlp()
    {
        var net = Mlp();
        var f = Graph.Compile((Tensor x) => net.Call(x).Softmax(1).Mean(), Batch([null, 6]));
        foreach (var n in new[] { 16, 5, 33, 16, 2, 7 })
        {
            var x = Randn(n, n, 6);
            Assert.Equal(D(net.Call(x).Softmax(1).Mean()), D(f.Call(x)));
        }
        Assert.True(f.TraceCount == 1, f.Explain());
        Assert.Contains("dynamic dims x[0] = s0 (16 when traced)", f.Explain());
    }

    [Fact]
    public void AMeanDividesByEachCallsBatchSize()
    {
        var f = Graph.Compile((Tensor x) => x.Mean() + x.Mean(0).Sum(), Batch([null, 3]));
        f.Call(Tensor.Ones([4, 3], DType.Float64));
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        // mean 3.5, column means 2.5 + 3.5 + 4.5 = 10.5
        Assert.Equal([14.0], D(f.Call(x)));
        Assert.True(f.TraceCount == 1, f.Explain());
    }

    [Fact]
    public void ATrainingStepWithCrossEntropyTrainsLikeEagerAtEveryBatchSize()
    {
        var (netC, netE) = (Mlp(), Mlp());
        var (optC, optE) = (new Adam(netC.Parameters(), learningRate: 0.01), new Adam(netE.Parameters(), learningRate: 0.01));
        Func<Tensor, Tensor, Tensor> Step(Module net, Optimizer opt) => (x, y) =>
        {
            opt.ZeroGrad();
            var loss = Functional.CrossEntropy(net.Call(x), y);
            loss.Backward();
            opt.Step();
            return loss;
        };
        var compiled = Graph.Compile(Step(netC, optC), new CompileOptions { InputSignature = [new TensorSpec([null, 6]), new TensorSpec([null], DType.Int64)] });
        var eager = Step(netE, optE);
        int i = 0;
        foreach (var n in new[] { 16, 16, 5, 12, 3, 16 })
        {
            var x = Randn(300 + i, n, 6);
            var y = Tensor.FromArray(Enumerable.Range(0, n).Select(k => (long)((k * 7 + i) % 3)).ToArray(), [n]);
            Assert.Equal(D(eager(x, y)), D(compiled.Call(x, y)));
            i++;
        }
        var (pe, pc) = (netE.Parameters().ToList(), netC.Parameters().ToList());
        for (int k = 0; k < pe.Count; k++) Assert.Equal(D(pe[k]), D(pc[k]));
        Assert.True(compiled.TraceCount == 1, compiled.Explain());
        Assert.Contains("y[0] = s0", compiled.Explain());   // the targets' batch is the inputs' batch
    }

    static Module Cnn() => CompiledZooTests.Cnn();

    [Fact]
    public void ACnnWithBatchNormAndDropoutTrainsLikeEagerAtEveryBatchSize()
    {
        var (netC, netE) = (Cnn(), Cnn());
        Func<Module, Func<Tensor, Tensor, Tensor>> step = net =>
        {
            var opt = new Adam(net.Parameters(), learningRate: 0.01);
            return (x, labels) =>
            {
                opt.ZeroGrad();
                var loss = Functional.CrossEntropy(net.Call(x), labels);
                loss.Backward();
                opt.Step();
                return loss;
            };
        };
        var compiled = Graph.Compile(step(netC), new CompileOptions { InputSignature = [new TensorSpec([null, 2, 8, 8]), new TensorSpec([null])] });
        var eager = step(netE);
        int i = 0;
        foreach (var n in new[] { 5, 7, 5, 2, 9 })
        {
            var x = Randn(300 + i, n, 2, 8, 8);
            var labels = Tensor.FromArray(Enumerable.Range(0, n).Select(k => (long)((k + i) % 3)).ToArray(), [n]);
            Tensor.ManualSeed(40 + i);                         // same Dropout masks from the global generator
            var le = D(eager(x, labels));
            Tensor.ManualSeed(40 + i);
            var lc = D(compiled.Call(x, labels));
            Assert.True(le.SequenceEqual(lc), $"batch {n}: loss {lc[0]:R}, eager {le[0]:R}; {compiled.Explain()}");
            i++;
        }
        Assert.True(compiled.TraceCount == 1, compiled.Explain());
        var (pe, pc) = (netE.Parameters().ToList(), netC.Parameters().ToList());
        for (int k = 0; k < pe.Count; k++) Assert.Equal(D(pe[k]), D(pc[k]));
        var (be, bc) = (netE.NamedBuffers().ToList(), netC.NamedBuffers().ToList());   // BatchNorm's running statistics
        for (int k = 0; k < be.Count; k++) Assert.Equal(be[k].Buffer.ToDoubleArray(), bc[k].Buffer.ToDoubleArray());
    }

    [Fact]
    public void ASizeReadInCSharpKeepsTheTraceSpecializedAndExplainNamesTheLine()
    {
        // x.Shape[0] becomes a plain number: dividing by it in a graph for every batch size would be wrong.
        var f = Graph.Compile((Tensor x) => x.Sum() / x.Shape[0], Batch([null, 2]));
        Assert.Equal([2.0], D(f.Call(Tensor.Ones([4, 2], DType.Float64))));
        Assert.Equal([2.0], D(f.Call(Tensor.Ones([3, 2], DType.Float64))));
        Assert.Equal(2, f.TraceCount);
        string explain = f.Explain();
        Assert.Contains("specialized to these sizes: user code reads the sizes of %0 [s0, 2] at", explain);
        Assert.Contains("DynamicDimsTests.cs:", explain);
    }

    [Fact]
    public void ReshapeWithMinusOneAndFlattenFollowTheBatch()
    {
        var f = Graph.Compile((Tensor x) => Functional.Flatten(x.Reshape(-1, 6), 0) * 2 + Functional.Flatten(Functional.Flatten(x, 1).Sum(1).Reshape(-1, 1).Expand(-1, 6), 0), Batch([null, 2, 3]));
        foreach (var n in new[] { 4, 9, 2 })
        {
            var x = Randn(n, n, 2, 3);
            Assert.Equal(D(Functional.Flatten(x.Reshape(-1, 6), 0) * 2 + Functional.Flatten(Functional.Flatten(x, 1).Sum(1).Reshape(-1, 1).Expand(-1, 6), 0)), D(f.Call(x)));
        }
        Assert.True(f.TraceCount == 1, f.Explain());
    }

    [Fact]
    public void ABatchEqualToAFixedSizeIsToldApartByTheOpsThatUseIt()
    {
        // Traced at batch 4 with a [4, 4] weight: the broadcast of w.Sum(1) to [4, 4] could follow either; the add
        // with the batch's matmul result says it is the batch.
        var w = Randn(1, 4, 4);
        var f = Graph.Compile((Tensor x) => x.MatMul(w) + w.Sum(1), Batch([null, 4]));
        foreach (var n in new[] { 4, 6, 9, 4 })
        {
            var x = Randn(n, n, 4);
            Assert.Equal(D(x.MatMul(w) + w.Sum(1)), D(f.Call(x)));
        }
        Assert.True(f.TraceCount == 1, f.Explain());
    }

    [Fact]
    public void ABatchThatMustEqualAFixedSizeStaysSpecializedAndOtherSizesFailAsEagerDoes()
    {
        var w = Randn(1, 4, 3);
        var f = Graph.Compile((Tensor x) => x + w, Batch([null, 3]));
        var x4 = Randn(2, 4, 3);
        Assert.Equal(D(x4 + w), D(f.Call(x4)));
        Assert.Contains("specialized to these sizes: the op add needs s0 (4 when traced) and the fixed size 4 to be equal", f.Explain());
        var eager = Assert.Throws<ArgumentException>(() => Randn(3, 6, 3) + w);
        var compiled = Assert.Throws<ArgumentException>(() => f.Call(Randn(3, 6, 3)));
        string Head(string m) => m[..m.IndexOf("DynamicDimsTests.", StringComparison.Ordinal)];   // each names its own line
        Assert.Equal(Head(eager.Message), Head(compiled.Message));
    }

    [Fact]
    public void SizesZeroAndOneGetATraceOfTheirOwn()
    {
        var f = Graph.Compile((Tensor x) => x.Mean(0), Batch([null, 3]));
        foreach (var n in new[] { 5, 1, 7, 1, 0 })
        {
            var x = Randn(n, n, 3);
            Assert.Equal(D(x.Mean(0)), D(f.Call(x)));
        }
        Assert.Equal(3, f.TraceCount);
        Assert.Contains("x[0]: size 1 (sizes 0 and 1 get a trace of their own", f.Explain());
    }

    [Fact]
    public void BatchesThatDifferBetweenArgumentsTracedEqualRetraceAndFailAsEagerDoes()
    {
        var f = Graph.Compile((Tensor x, Tensor y) => Functional.CrossEntropy(x, y), Batch([null, 3], [null]));
        var logits = Randn(1, 4, 3);
        f.Call(logits, Tensor.FromArray(new long[] { 0, 1, 2, 0 }, [4]));
        var e = Assert.Throws<ArgumentException>(() => f.Call(Randn(2, 5, 3), Tensor.FromArray(new long[] { 0, 1, 2 }, [3])));
        Assert.Contains("CrossEntropy", e.Message);
        // The graph still serves batches where both agree.
        var (x, y) = (Randn(3, 6, 3), Tensor.FromArray(new long[] { 2, 1, 0, 0, 1, 2 }, [6]));
        Assert.Equal(D(Functional.CrossEntropy(x, y)), D(f.Call(x, y)));
        Assert.True(f.TraceCount == 1, f.Explain());
    }

    [Fact]
    public void CallsThatDoNotFitTheSignatureThrow()
    {
        var f = Graph.Compile((Tensor x) => x * 2, new CompileOptions { InputSignature = [new TensorSpec([null, 3], DType.Float64)] });
        Assert.Contains("has rank 1", Assert.Throws<ArgumentException>(() => f.Call(Tensor.Zeros([3], DType.Float64))).Message);
        Assert.Contains("dim 1 must be 3", Assert.Throws<ArgumentException>(() => f.Call(Tensor.Zeros([2, 4], DType.Float64))).Message);
        Assert.Contains("dtype float32, but the signature says float64", Assert.Throws<ArgumentException>(() => f.Call(Tensor.Zeros([2, 3]))).Message);
        var g = Graph.Compile((Tensor x, Tensor y) => x + y, new CompileOptions { InputSignature = [new TensorSpec([null])] });
        Assert.Contains("InputSignature has 1", Assert.Throws<ArgumentException>(() => g.Call(Tensor.Zeros([2]), Tensor.Zeros([2]))).Message);
        Assert.Equal("[None, 3] float64", new TensorSpec([null, 3], DType.Float64).ToString());
    }

    [Fact]
    public void GraphForPrintsTheGraphForTheGivenSizesAndNamesTheDynamicDims()
    {
        var lin = new Linear(6, 8, seed: 1, dtype: DType.Float64);
        var f = Graph.Compile((Tensor x) => lin.Call(x), Batch([null, 6]));
        f.Call(Randn(1, 16, 6));
        string printed = f.GraphFor(Randn(2, 5, 6));
        Assert.StartsWith("# dynamic dims: x[0] = s0 (16 when traced)", printed);
        Assert.Contains("matmul(%0, %2) : [5, 8] float64", printed);
        Assert.Contains("expand(%5) : [5, 8] float64", printed);
    }

    [Fact]
    public void ANewTensorWhoseSizeEqualsTheBatchFollowsItWhenAnOpJoinsThem()
    {
        // Zeros(4, 3) made inside while the batch is 4: the add with x says its 4 is the batch.
        var f = Graph.Compile((Tensor x) => x + Tensor.Zeros([4, 3], DType.Float64) + 1.0, Batch([null, 3]));
        Assert.Equal(D(Randn(1, 4, 3) + 1.0), D(f.Call(Randn(1, 4, 3))));
        Assert.Equal(D(Randn(2, 4, 3) + 1.0), D(f.Call(Randn(2, 4, 3))));
        Assert.True(f.TraceCount == 1, f.Explain());
        Assert.Contains("dynamic dims x[0] = s0", f.Explain());
    }

    [Fact]
    public void ANewTensorNothingRelatesToTheBatchKeepsTheTraceSpecialized()
    {
        // Returned as it is, nothing says whether Zeros(4)'s 4 is the batch or a fixed size: specialized, never guessed.
        var f = Graph.Compile((Tensor[] a) => new[] { a[0] * 2.0, Tensor.Zeros([4], DType.Float64) }, Batch([null, 3]));
        f.Call([Randn(1, 4, 3)]);
        var outputs = f.Call([Randn(2, 6, 3)]);
        Assert.Equal([4], outputs[1].Shape.ToArray());
        Assert.Equal(2, f.TraceCount);
        Assert.Contains("could be a dynamic size or a fixed one, and no op tells which", f.Explain());
        Assert.Contains("a size made by full at", f.Explain());
    }

    [Fact]
    public void ATapeStyleTrainingStepTrainsLikeEagerAtEveryBatchSize()
    {
        var (netC, netE) = (Mlp(), Mlp());
        var (optC, optE) = (new Sgd(netC.Parameters(), learningRate: 0.05), new Sgd(netE.Parameters(), learningRate: 0.05));
        Func<Tensor, Tensor, Tensor> Step(Module net, Optimizer opt) => (x, y) =>
        {
            using var tape = new GradientTape();
            var loss = Functional.MseLoss(net.Call(x), y);
            var grads = tape.Gradient(loss, net.TrainableVariables);
            opt.ApplyGradients(grads.Zip(net.TrainableVariables));
            return loss;
        };
        var compiled = Graph.Compile(Step(netC, optC), Batch([null, 6], [null, 3]));
        var eager = Step(netE, optE);
        foreach (var n in new[] { 10, 4, 13, 10 })
            Assert.Equal(D(eager(Randn(n, n, 6), Randn(n + 50, n, 3))), D(compiled.Call(Randn(n, n, 6), Randn(n + 50, n, 3))));
        var (pe, pc) = (netE.Parameters().ToList(), netC.Parameters().ToList());
        for (int k = 0; k < pe.Count; k++) Assert.Equal(D(pe[k]), D(pc[k]));
        Assert.True(compiled.TraceCount == 1, compiled.Explain());
    }

    [Fact]
    public void AFunctionDifferentiatedFromOutsideGivesEagerGradientsAtEveryBatchSize()
    {
        var w = new Variable(Randn(5, 6, 4), name: "w");
        var f = Graph.Compile((Tensor x) => (x.MatMul(w).Tanh() * x.Sum(1, keepDim: true)).Mean(), Batch([null, 6]));
        foreach (var n in new[] { 7, 3, 7, 12, 3, 3 })
        {
            var x = Randn(n, n, 6);
            var ge = Autograd.Grad((x.MatMul(w).Tanh() * x.Sum(1, keepDim: true)).Mean(), w)!;
            var gc = Autograd.Grad(f.Call(x), w)!;
            Assert.Equal(D(ge), D(gc));
        }
        Assert.True(f.TraceCount == 1, f.Explain());
        // The copy for size 3 traced its own joint backward on its first replay: one node now.
        Assert.Equal("CompiledFunctionBackward", f.Call(Randn(9, 3, 6)).GradFn!.Name);
    }

    [Fact]
    public void ADynamicFunctionSavesItsGraphAtTheTracedSizes()
    {
        using var dir = new TempDirectory();
        var net = Mlp();
        var f = Graph.Compile((Tensor x) => net.Call(x), Batch([null, 6]));
        var x = Randn(1, 9, 6);
        var traced = D(f.Call(x));
        f.Call(Randn(2, 4, 6));                                // another size: the same trace
        f.Save(dir.File("mlp.graph"), includeWeights: true);
        var loaded = CompiledFunction.Load(dir.File("mlp.graph"));
        Assert.Equal(traced, D(loaded.Call(x)));
        Assert.Throws<ArgumentException>(() => loaded.Call(Randn(2, 4, 6)));   // a loaded function holds the traced sizes
    }
}
