using System.Runtime.CompilerServices;

namespace Nabla.Tests.Graphs;

/// <summary>
/// Errors raised while a compiled function replays name the user's line each op was traced from (not the
/// line that called the compiled function), as eager code would have: anomaly checks, bad index values,
/// and any other exception of an op.
/// </summary>
public class CompiledErrorTests
{
    static int Line([CallerLineNumber] int line = 0) => line;

    const string File = "CompiledErrorTests.cs";

    [Fact]
    public void AnomalyInAReplayedForwardNamesTheTracedLine()
    {
        int line = 0;
        var cf = Graph.Compile((Tensor x) =>
        {
            line = Line(); var y = x.Log();
            return y * 2.0;
        }, new CompileOptions { RecordAllSites = true });   // without it the line of log is not recorded: SourceSiteTests
        cf.Call(Tensor.FromArray(new[] { 1.0, 2.0 }, [2]));           // traced without anomaly mode
        using var scope = Autograd.DetectAnomaly();
        var e = Assert.Throws<ArithmeticException>(() => cf.Call(Tensor.FromArray(new[] { -1.0, 2.0 }, [2])));
        Assert.StartsWith("log", e.Message);
        Assert.Contains($"{File}:{line})", e.Message);
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void AnomalyInTheBackwardOfAReplayNamesTheTracedForwardLine()
    {
        int line = 0;
        var cf = Graph.Compile((Tensor x) =>
        {
            line = Line(); var y = x.Sqrt();
            return y.Sum();
        }, new CompileOptions { RecordAllSites = true });
        cf.Call(Tensor.FromArray(new[] { 1.0, 4.0 }, [2], requiresGrad: true));
        using var scope = Autograd.DetectAnomaly();
        var x = Tensor.FromArray(new[] { 0.0, 4.0 }, [2], requiresGrad: true);   // d sqrt/dx at 0 is inf
        var loss = cf.Call(x);
        var e = Assert.Throws<ArithmeticException>(() => loss.Backward());
        Assert.StartsWith("SqrtBackward", e.Message);
        Assert.Contains($"{File}:{line})", e.Message);
    }

    [Fact]
    public void AnOpFailingInAReplayNamesItselfAndTheTracedLine()
    {
        int line = 0;
        var cf = Graph.Compile((Tensor x, Tensor index) =>
        {
            line = Line(); var rows = x.IndexSelect(0, index);
            return rows.Sum();
        });
        var x = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }, [3]);
        Assert.Equal(3.0, cf.Call(x, Tensor.FromArray(new long[] { 0, 1 }, [2])).Item<double>());
        Assert.Equal(5.0, cf.Call(x, Tensor.FromArray(new long[] { 1, 2 }, [2])).Item<double>());   // replayed
        // The range check is part of the graph (not a guard on the traced index values): run on every call.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => cf.Call(x, Tensor.FromArray(new long[] { 0, 7 }, [2])));
        Assert.Contains("IndexSelect: index 7 is out of range for dim 0 of size 3", e.Message);
        Assert.Contains($"{File}:{line})", e.Message);
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void ClassTargetsAreCheckedOnEveryCallWithoutRetracing()
    {
        var w = Tensor.Randn([4, 3], seed: 1, requiresGrad: true);
        var cf = Graph.Compile((Tensor x, Tensor labels) => Nabla.NN.Functional.CrossEntropy(x.MatMul(w), labels));
        var x = Tensor.Randn([2, 4], seed: 2);
        for (int k = 0; k < 3; k++)
        {
            var labels = Tensor.FromArray(new long[] { k, 2 - k }, [2]);
            Assert.Equal(Nabla.NN.Functional.CrossEntropy(x.MatMul(w), labels).Item<float>(), cf.Call(x, labels).Item<float>());
        }
        Assert.Equal(1, cf.TraceCount);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => cf.Call(x, Tensor.FromArray(new long[] { 0, 3 }, [2])));
        Assert.Contains("target 3 is out of range for 3 classes", e.Message);
        Assert.Contains("CompiledErrorTests.cs:", e.Message);
        Assert.Matches(@"check %\d+: IndexRangeCheck", cf.GraphFor(x, Tensor.FromArray(new long[] { 0, 1 }, [2])));
    }

    /// <summary>A custom function whose C# forward refuses large inputs (it runs again on every call of a compiled function).</summary>
    sealed class Picky : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            if (inputs[0].Sum().Item<double>() > 100) throw new InvalidOperationException("Picky: the input sums past 100");
            return [inputs[0] * 2.0];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => [gradOutputs[0] * 2.0];
    }

    [Fact]
    public void AnExceptionOfAnyOpInAReplayIsWrappedNamingTheOpAndTheTracedLine()
    {
        int line = 0;
        var cf = Graph.Compile((Tensor x) =>
        {
            line = Line(); var y = new Picky().Apply(x);
            return y + 1.0;
        });
        Assert.Equal(new[] { 3.0, 5.0 }, cf.Call(Tensor.FromArray(new[] { 1.0, 2.0 }, [2])).ToArray<double>());
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(Tensor.FromArray(new[] { 100.0, 2.0 }, [2])));
        Assert.Contains("Picky", e.Message);
        Assert.Contains($"traced at CompiledErrorTests", e.Message);
        Assert.Contains($"{File}:{line})", e.Message);
        Assert.Contains("failed in a replay of the compiled function: Picky: the input sums past 100", e.Message);
        Assert.IsType<InvalidOperationException>(e.InnerException);
        Assert.Equal(1, cf.TraceCount);
    }
}
