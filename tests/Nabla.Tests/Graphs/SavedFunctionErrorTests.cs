using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.IO;

namespace Nabla.Tests.Graphs;

/// <summary>What Save refuses, each with a message that names the op or the reason and says what to do.</summary>
public class SavedFunctionErrorTests
{
    [Fact]
    public void SavingBeforeAnyTraceSaysToCallTheFunctionFirst()
    {
        using var dir = new TempDirectory();
        var compiled = Graph.Compile((Tensor x) => x + 1.0);
        var e = Assert.Throws<InvalidOperationException>(() => compiled.Save(dir.File("f.graph")));
        Assert.Contains("has traced nothing yet", e.Message);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void ATrainingStepCannotBeSavedAndTheErrorNamesTheBackwardPass()
    {
        using var dir = new TempDirectory();
        var net = new Linear(3, 1, seed: 1);
        var sgd = new Sgd(net.Parameters(), learningRate: 0.1);
        var step = Graph.Compile((Tensor x) =>
        {
            sgd.ZeroGrad();
            var loss = net.Call(x).Square().Mean();
            loss.Backward();
            sgd.Step();
            return loss;
        });
        step.Call(Tensor.Ones([2, 3]));
        var e = Assert.Throws<InvalidOperationException>(() => step.Save(dir.File("step.graph")));
        Assert.Contains("CompiledFunction.Save", e.Message);
        Assert.Contains("guards C# state (Sgd state", e.Message);   // the optimizer's step options, read in C#
        Assert.Contains("inference", e.Message);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void AGradientComputedInsideTheFunctionIsSavedAsItsOps()
    {
        // The backward pass of Autograd.Grad is recorded op by op, so the saved graph computes d/dw sum(x w) = x
        // without the engine; only a training step's writes to .Grad and optimizer state are refused.
        using var dir = new TempDirectory();
        var w = new Variable(Tensor.Ones([2]));
        var f = Graph.Compile((Tensor x) =>
        {
            var y = (x * w * w).Sum();
            return Autograd.Grad([y], [w])[0]!;
        });
        f.Call(Tensor.Ones([2]));
        f.Save(dir.File("g.graph"), includeWeights: true);
        var loaded = CompiledFunction.Load(dir.File("g.graph"));
        Assert.Equal(new float[] { 6, -4 }, loaded.Call(Tensor.FromArray(new float[] { 3, -2 }, [2])).ToArray<float>());   // 2 x w
    }

    [Fact]
    public void ValueChecksAreSavedAndRunOnEveryCallOfTheLoadedFunction()
    {
        // Class targets are checked by a Check op (IndexRangeCheck, with its ignoreIndex), saved with the graph.
        using var dir = new TempDirectory();
        var w = new Variable(Tensor.Randn([4, 3], seed: 3));
        var f = Graph.Compile((Tensor x, Tensor labels) => Nabla.NN.Functional.CrossEntropy(x.MatMul(w), labels, ignoreIndex: -1));
        var x = Tensor.Randn([2, 4], seed: 4);
        f.Call(x, Tensor.FromArray(new long[] { 0, 2 }, [2]));
        f.Save(dir.File("ce.graph"), includeWeights: true);
        var loaded = CompiledFunction.Load(dir.File("ce.graph"));
        var labels = Tensor.FromArray(new long[] { 1, -1 }, [2]);
        Assert.Equal(Nabla.NN.Functional.CrossEntropy(x.MatMul(w), labels, ignoreIndex: -1).Item<float>(), loaded.Call(x, labels).Item<float>());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => loaded.Call(x, Tensor.FromArray(new long[] { 3, 0 }, [2])));
        Assert.Contains("target 3 is out of range for 3 classes", e.Message);
    }

    [Fact]
    public void EveryPrimitiveButThoseHoldingDelegatesCanBeSaved()
    {
        var unsavable = Nabla.Graphs.PrimitiveCodec.AllPrimitiveTypes().Where(p => p.Why is not null)
            .Select(p => $"{p.Type.Name}: {p.Why}").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["CompiledCall: its field 'call' is a CompiledCallRecord, which a graph file cannot hold",
            "CustomOutput: its field 'function' is a CustomFunction, which a graph file cannot hold"], unsavable);
    }
}
