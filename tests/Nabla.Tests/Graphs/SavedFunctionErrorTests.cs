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
    public void ABackwardPassInsideTheFunctionIsNamedWithItsLine()
    {
        using var dir = new TempDirectory();
        var w = new Variable(Tensor.Ones([2]));
        var f = Graph.Compile((Tensor x) =>
        {
            var y = (x * w).Sum();
            return Autograd.Grad([y], [w])[0]!;
        });
        f.Call(Tensor.Ones([2]));
        var e = Assert.Throws<InvalidOperationException>(() => f.Save(dir.File("g.graph")));
        Assert.Contains("has a backward pass at", e.Message);
        Assert.Contains("SavedFunctionErrorTests.cs", e.Message);
    }

    [Fact]
    public void EveryPrimitiveButThoseHoldingTensorsOrDelegatesCanBeSaved()
    {
        var unsavable = Nabla.Graphs.PrimitiveCodec.AllPrimitiveTypes().Where(p => p.Why is not null)
            .Select(p => $"{p.Type.Name}: {p.Why}").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["CustomOutput: its field 'function' is a CustomFunction, which a graph file cannot hold",
            "MaxUnpool: its field 'index' is a Tensor, which a graph file cannot hold"], unsavable);
    }
}
