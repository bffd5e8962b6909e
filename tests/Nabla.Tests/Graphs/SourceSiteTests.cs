using System.Runtime.CompilerServices;
using Nabla.Engine;
using Nabla.Graphs;
using Nabla.NN;
using Nabla.Tests.IO;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A trace records the user's line only for ops whose replay may still fail once the shapes and dtypes are the traced
/// ones (<c>Primitive.MayFailInReplay</c>), for every op of a dynamic-dims trace or one under anomaly detection, and for
/// every op with <see cref="CompileOptions.RecordAllSites"/>. These check that replay errors still name the user's line,
/// that the other ops say honestly that their line was not recorded, and that the switch gives every line back.
/// </summary>
public class SourceSiteTests
{
    static int Line([CallerLineNumber] int line = 0) => line;

    const string File = "SourceSiteTests.cs";
    const string NotRecorded = "line not recorded";

    /// <summary>Each op line of <paramref name="graph"/> (op text, site), in program order.</summary>
    static List<(string Op, string Site)> Ops(string graph) =>
        [.. graph.Split('\n').Where(l => l.StartsWith("  %") && l.Contains(" = ") && !l.Contains(" = capture "))
            .Select(l => l.TrimEnd('\r')).Select(l => (l[..l.LastIndexOf("  # ", StringComparison.Ordinal)].Trim(),
                l[(l.LastIndexOf("  # ", StringComparison.Ordinal) + 4)..]))];

    static Tensor Floats(params float[] v) => Tensor.FromArray(v, [v.Length]);

    static Tensor Longs(params long[] v) => Tensor.FromArray(v, [v.Length]);

    [Fact]
    public void AGatherWhoseIndexLeavesTheRangeInAReplayNamesTheUsersLine()
    {
        int line = 0;
        var cf = Graph.Compile((Tensor x, Tensor index) =>
        {
            var y = (x * x).Exp();
            line = Line(); return y.Gather(0, index).Tanh();
        });
        var x = Floats(0.5f, -1f, 2f, 0.25f);
        Assert.Equal((x * x).Exp().Gather(0, Longs(3, 0)).Tanh().ToArray<float>(), cf.Call(x, Longs(3, 0)).ToArray<float>());
        Assert.Equal((x * x).Exp().Gather(0, Longs(1, 2)).Tanh().ToArray<float>(), cf.Call(x, Longs(1, 2)).ToArray<float>());   // replayed
        Assert.Equal(1, cf.TraceCount);
        var eager = Assert.Throws<ArgumentOutOfRangeException>(() => x.Gather(0, Longs(0, 4)));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => cf.Call(x, Longs(0, 4)));
        Assert.Contains($"(lambda) ({File}:{line})", e.Message);
        Assert.Contains("Gather", eager.Message);
        Assert.Contains("Gather", e.Message);
        // The graph names the gather's line (its check and the op itself) and says the elementwise ops' lines were not recorded.
        var ops = Ops(cf.TracedGraphFor(x, Longs(3, 0)));
        Assert.Equal(["mul", "exp", "gather", "tanh"], ops.Where(o => !o.Op.StartsWith("check")).Select(o => o.Op.Split(" = ")[1].Split('(')[0]));
        string at = $"SourceSiteTests.{nameof(AGatherWhoseIndexLeavesTheRangeInAReplayNamesTheUsersLine)} (lambda) ({File}:{line})";
        Assert.Equal([NotRecorded, NotRecorded, at, NotRecorded], ops.Where(o => !o.Op.StartsWith("check")).Select(o => o.Site));
    }

    [Fact]
    public void AFusedElementwiseOpSaysItsLineWasNotRecordedAndTheSwitchGivesEveryLine()
    {
        int first = 0, second = 0;
        Tensor F(Tensor x)
        {
            first = Line(); var y = (x * x).Tanh();
            second = Line(); return y + x;
        }
        var x = Floats(0.5f, -1f, 2f);
        var plain = Graph.Compile(F);
        var all = Graph.Compile(F, new CompileOptions { RecordAllSites = true });
        Assert.Equal(F(x).ToArray<float>(), plain.Call(x).ToArray<float>());
        Assert.Equal(F(x).ToArray<float>(), all.Call(x).ToArray<float>());
        Assert.Equal([("%3 = fused_elementwise(%0) : [3] float32", NotRecorded)], Ops(plain.GraphFor(x)));
        Assert.All(Ops(plain.TracedGraphFor(x)), o => Assert.Equal(NotRecorded, o.Site));
        string local = $"SourceSiteTests.{nameof(AFusedElementwiseOpSaysItsLineWasNotRecordedAndTheSwitchGivesEveryLine)}.F";
        Assert.Equal([$"{local} ({File}:{first})", $"{local} ({File}:{first})", $"{local} ({File}:{second})"],
            Ops(all.TracedGraphFor(x)).Select(o => o.Site));
        // The fused op takes the line of the last op it holds.
        Assert.Equal([$"{local} ({File}:{second})"], Ops(all.GraphFor(x)).Select(o => o.Site));
    }

    [Fact]
    public void ATraceSkipsTheWalkOnlyForOpsThatCannotFailInAReplay()
    {
        var x = Floats(1f, 2f, 3f);
        var index = Longs(2, 0);
        var tracer = new Tracer([x, index], ["x", "index"], firstTrace: true, fullGraph: false);
        Tensor y;
        using (Dispatch.Observe(tracer)) y = (x.Sin() * x).Sum(0, keepDim: true).Expand([2]) + x.Gather(0, index);
        var graph = tracer.Finish([y]);
        var calls = graph.Ops.Where(op => op.Kind == GraphOpKind.Call).ToList();
        Assert.Equal(["sin", "mul", "sum", "expand", "gather", "add"], calls.Select(op => op.Op!.Name));
        Assert.Equal([false, false, false, false, true, false], calls.Select(op => op.SiteSource.IsRecorded));
        Assert.All(graph.Ops.Where(op => op.Kind == GraphOpKind.Check), op => Assert.True(op.SiteSource.IsRecorded));
    }

    [Fact]
    public void ADynamicDimsTraceRecordsEveryLineAndAShapeMismatchAtANewSizeNamesTheUsersLine()
    {
        int line = 0;
        var f = Graph.Compile((Tensor x, Tensor labels) =>
        {
            line = Line(); return Functional.CrossEntropy(x * 2.0, labels);
        }, new CompileOptions { InputSignature = [new TensorSpec([null, 3]), new TensorSpec([null])] });
        var logits = Tensor.Randn([4, 3], DType.Float64, seed: 1);
        f.Call(logits, Longs(0, 1, 2, 0));
        string at = $"SourceSiteTests.{nameof(ADynamicDimsTraceRecordsEveryLineAndAShapeMismatchAtANewSizeNamesTheUsersLine)} (lambda) ({File}:{line})";
        var sites = Ops(f.TracedGraphFor(logits, Longs(0, 1, 2, 0))).Select(o => o.Site).ToList();
        Assert.True(sites.Count > 3);
        Assert.All(sites, s => Assert.Equal(at, s));
        var e = Assert.Throws<ArgumentException>(() => f.Call(Tensor.Randn([5, 3], DType.Float64, seed: 2), Longs(0, 1, 2)));
        Assert.Contains("CrossEntropy", e.Message);
        Assert.Contains($"({File}:{line})", e.Message);
    }

    [Fact]
    public void AnomalyInAReplayOfAnOpWithoutItsLineNamesTheCallAndSaysTheLineWasNotRecorded()
    {
        var cf = Graph.Compile((Tensor x) => x.Log() * 2.0);
        cf.Call(Tensor.FromArray(new[] { 1.0, 2.0 }, [2]));   // traced without anomaly mode: log's line is not recorded
        using var scope = Autograd.DetectAnomaly();
        int line = Line(); var e = Assert.Throws<ArithmeticException>(() => cf.Call(Tensor.FromArray(new[] { -1.0, 2.0 }, [2])));
        Assert.StartsWith("log", e.Message);
        Assert.Contains($"({File}:{line}), calling a compiled function (the op's {NotRecorded}; CompileOptions.RecordAllSites records it)", e.Message);
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void ATraceUnderAnomalyDetectionRecordsEveryLine()
    {
        int line = 0;
        var cf = Graph.Compile((Tensor x) =>
        {
            line = Line(); return x.Log() * 2.0;
        });
        using var scope = Autograd.DetectAnomaly();
        cf.Call(Tensor.FromArray(new[] { 1.0, 2.0 }, [2]));
        var e = Assert.Throws<ArithmeticException>(() => cf.Call(Tensor.FromArray(new[] { -1.0, 2.0 }, [2])));
        Assert.StartsWith("log", e.Message);
        Assert.Contains($"(lambda) ({File}:{line}).", e.Message);
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void AnOuterTraceThatRecordsEveryLineNamesTheLineThatCalledAnInnerCompiledFunctionWithoutIt()
    {
        var inner = Graph.Compile((Tensor x) => x.Exp() + x);
        var x = Floats(0.5f, -1f);
        inner.Call(x);   // traced: its ops' lines are not recorded
        int line = 0;
        var outer = Graph.Compile((Tensor x) =>
        {
            line = Line(); return inner.Call(x) * x;
        }, new CompileOptions { RecordAllSites = true, Passes = GraphPasses.None });
        Assert.Equal(((x.Exp() + x) * x).ToArray<float>(), outer.Call(x).ToArray<float>());
        string at = $"SourceSiteTests.{nameof(AnOuterTraceThatRecordsEveryLineNamesTheLineThatCalledAnInnerCompiledFunctionWithoutIt)} (lambda) ({File}:{line})";
        var sites = Ops(outer.GraphFor(x)).Select(o => o.Site).ToList();
        // The inner function's replay (exp and add, fused) runs inside the outer trace, which records it as one op.
        Assert.Equal([$"{at}, calling a compiled function (the op's {NotRecorded}; CompileOptions.RecordAllSites records it)", at], sites);
    }

    [Fact]
    public void ASavedGraphKeepsTheLinesItHasAndSaysWhichWereNotRecorded()
    {
        using var dir = new TempDirectory();
        int line = 0;
        var cf = Graph.Compile((Tensor x, Tensor index) =>
        {
            line = Line(); return x.Gather(0, index).Tanh();
        }, new CompileOptions { Passes = GraphPasses.None });
        var (x, index) = (Floats(0.5f, -1f, 2f), Longs(2, 0));
        var traced = cf.Call(x, index).ToArray<float>();
        cf.Save(dir.File("f.graph"));
        var loaded = CompiledFunction.Load(dir.File("f.graph"));
        Assert.Equal(traced, loaded.Call(x, index).ToArray<float>());
        var sites = Ops(loaded.GraphFor(x, index)).Select(o => o.Site).ToList();
        Assert.Equal([$"SourceSiteTests.{nameof(ASavedGraphKeepsTheLinesItHasAndSaysWhichWereNotRecorded)} (lambda) ({File}:{line})", NotRecorded], sites);
    }
}
