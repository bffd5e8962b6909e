using System.Runtime.CompilerServices;
using Nabla.Engine;
using Nabla.Graphs;
using Nabla.Graphs.Passes;
using Nabla.NN;
using Nabla.Tests.Graphs.Passes;

namespace Nabla.Tests.Graphs;

/// <summary>
/// What compile time saves must not change what a compile gives: sites made into text only when shown (and then the
/// text a stack trace with file information gives, for every shape of user code), CSE finding the same merges when it
/// writes full keys only for ops that share a primitive type and inputs, and a gradient read from .Grad found without
/// scanning every traced tensor.
/// </summary>
public class CompileCostTests
{
    static int Line([CallerLineNumber] int line = 0) => line;

    const string File = "CompileCostTests.cs";

    static Tensor Vector(int seed, float lo, float hi, bool requiresGrad = false)
    {
        var rng = new Random(seed);
        return Tensor.FromArray(Enumerable.Range(0, 16).Select(_ => lo + (hi - lo) * rng.NextSingle()).ToArray(), [16], requiresGrad);
    }

    static int[] Bits(Tensor t) => [.. t.ToArray<float>().Select(BitConverter.SingleToInt32Bits)];

    /// <summary>The site printed at the end of each op line of <paramref name="graph"/>, in program order.</summary>
    static List<string> Sites(string graph) =>
        [.. graph.Split('\n').Where(l => l.StartsWith("  %") && l.Contains(" = ") && !l.Contains(" = capture "))
            .Select(l => l[(l.LastIndexOf("  # ", StringComparison.Ordinal) + 4)..].TrimEnd('\r'))];

    /// <summary>Traces <paramref name="f"/> on <paramref name="x"/>, runs the passes and replays twice, as a compiled function's first calls do.</summary>
    static TracedGraph TraceAndReplay(Func<Tensor, Tensor> f, Tensor x)
    {
        var tracer = new Tracer([x], ["x"], firstTrace: true, fullGraph: false, allSites: true);
        Tensor y;
        using (Dispatch.Observe(tracer)) y = f(x);
        var graph = tracer.Finish([y]);
        PassPipeline.Run(graph, tracer.TracedTensors, GraphPasses.All, dynamicDims: false);
        graph.BackwardPending = BackwardGraph.MayServe(graph);
        graph.RecomputeInBackward = true;
        for (int call = 0; call < 2; call++) Assert.NotNull(Replay.Run(graph, [x], out _));
        return graph;
    }

    [Fact]
    public void ATraceItsPassesAndItsFirstReplaysLeaveEverySiteToBeMadeWhenShown()
    {
        var (b, c, x) = (Vector(1, -1, 1, requiresGrad: true), Vector(2, 0.5f, 1.5f, requiresGrad: true), Vector(3, -1, 1));
        int line = 0;
        Tensor F(Tensor y)
        {
            line = Line(); for (int i = 0; i < 12; i++) y = (i % 3) switch { 0 => y + b, 1 => y * c, _ => y.Tanh() };
            return y.Sum();
        }
        var graph = TraceAndReplay(F, x);
        var backward = graph.Backward?.Graph;
        Assert.NotNull(backward);   // grad mode is on and b, c require grad: the joint backward was traced too
        var ops = graph.Ops.Concat(backward.Ops).ToList();
        Assert.True(ops.Count > 12);
        // Made lazily means not made yet: a pass, the partition or a replay reading op.Site would have made it.
        Assert.All(ops, op => Assert.False(op.SiteSource.IsResolved, $"{op.Kind} {op.Op?.Name}: its site was made into text before it was shown"));
        string lambda = $"CompileCostTests.{nameof(ATraceItsPassesAndItsFirstReplaysLeaveEverySiteToBeMadeWhenShown)}.F";
        Assert.Equal([.. Enumerable.Repeat($"{lambda} ({File}:{line})", 12), $"{lambda} ({File}:{line + 1})"],
            Sites(GraphPrinter.Print(PassPipeline.Before(graph), "F")));
        Assert.All(graph.Ops, op => Assert.True(op.SiteSource.IsResolved));
    }

    static class Generic<T>
    {
        public static int OpLine;

        public static Tensor Twice(Tensor x)
        {
            OpLine = Line(); return x.Sin();
        }
    }

    [Fact]
    public void SitesOfGenericClassesLocalFunctionsAndNestedLambdasNameTheirFileAndLine()
    {
        int local = 0, nested = 0;
        Tensor Local(Tensor x)
        {
            local = Line(); return x.Exp();
        }
        Func<Tensor, Tensor> inner = x =>
        {
            nested = Line(); return x.Tanh();
        };
        var cf = Graph.Compile((Tensor x) => inner(Local(Generic<string>.Twice(x))), new CompileOptions { RecordAllSites = true });
        var a = Vector(4, -1, 1);
        Assert.Equal(Bits(inner(Local(Generic<string>.Twice(a)))), Bits(cf.Call(a)));
        string test = nameof(SitesOfGenericClassesLocalFunctionsAndNestedLambdasNameTheirFileAndLine);
        Assert.Equal([$"Generic`1.Twice ({File}:{Generic<string>.OpLine})", $"CompileCostTests.{test}.Local ({File}:{local})",
            $"CompileCostTests.{test} (lambda) ({File}:{nested})"], Sites(cf.TracedGraphFor(a)));
    }

    [Fact]
    public void ALazySiteGivesTheTextAStackTraceWithFileInformationGives()
    {
        // The same frame described two ways: the runtime's stack trace with symbols (as sites were made before), and a
        // site made later from the method and IL offset alone.
        var (eager, lazy) = BothWays();
        Assert.Equal(eager, lazy);
        Assert.Matches($@"^CompileCostTests\.BothWays \({File}:\d+\)$", lazy);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static (string Eager, string Lazy) BothWays()
    {
        var frame = new System.Diagnostics.StackFrame(0, needFileInfo: true);
        var lazy = SourceSite.At(frame.GetMethod()!, frame.GetILOffset());
        Assert.False(lazy.IsResolved);
        return ($"{Nabla.Engine.CallSite.Readable(frame.GetMethod()!)} ({Path.GetFileName(frame.GetFileName())}:{frame.GetFileLineNumber()})", lazy.Text);
    }

    [Fact]
    public void AModulesForwardAndALibraryCompositeNameTheUsersLinesInAnError()
    {
        // A replay error made from a lazy site: the op's traced line, in the user's module (the composite's own ops name it too).
        var model = new Picky();
        var cf = Graph.Compile(model, new CompileOptions { RecordAllSites = true });
        var ok = Tensor.FromArray(new long[] { 0, 1 }, [2]);
        Assert.Equal(model.Call(ok).ToArray<float>(), cf.Call(ok).ToArray<float>());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => cf.Call(Tensor.FromArray(new long[] { 0, 9 }, [2])));
        Assert.Contains($"Picky.Forward ({File}:{model.ForwardLine})", e.Message);
        Assert.All(Sites(cf.GraphFor(ok)), s => Assert.Equal($"Picky.Forward ({File}:{model.ForwardLine})", s));
    }

    sealed class Picky : Module
    {
        readonly Tensor _table = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
        public int ForwardLine;

        public override Tensor Forward(Tensor index)
        {
            ForwardLine = Line(); return Functional.CrossEntropy(_table.IndexSelect(0, index), index);
        }
    }

    static Tensor Pows(Tensor x) => x.Pow(2) + x.Pow(3) + x.Pow(2) * x.Pow(3);

    [Fact]
    public void CseMergesOnlyOpsWithEqualParametersAmongThoseOfOneTypeAndInputs()
    {
        // pow 2, pow 3, pow 2, pow 3 read x: one group by type and inputs, where only the full keys tell pow 2 from pow 3.
        var cf = Graph.Compile(Pows, PassText.Unfused);
        var x = PassText.V(0.5f, -1.5f, 2f);
        for (int call = 0; call < 2; call++) Assert.Equal(Bits(Pows(x)), Bits(cf.Call(x)));
        Assert.Equal("""
            graph Pows(%0 x: [3] float32)
              %1 = pow(%0) : [3] float32
              %2 = pow(%0) : [3] float32
              %3 = add(%1, %2) : [3] float32
              %6 = mul(%1, %2) : [3] float32
              %7 = add(%3, %6) : [3] float32
              return %7

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("cse: merged 2 value(s)", cf.Explain());
    }

    [Fact]
    public void AGradientReadFromGradIsReadAgainOnEveryCall()
    {
        var p = Vector(5, -1, 1, requiresGrad: true);
        p.Grad = Vector(6, -1, 1);
        var f = (Tensor x) => x * 2.0f + p.Grad!;
        var cf = Graph.Compile(f);
        var x = Vector(7, -1, 1);
        using var _ = Autograd.NoGrad();
        Assert.Equal(Bits(f(x)), Bits(cf.Call(x)));
        Assert.Matches(@"%\d+ = %\d+\.grad", cf.GraphFor(x));
        p.Grad = Vector(8, -2, 2);   // another gradient object: a replay reads .Grad again
        Assert.Equal(Bits(f(x)), Bits(cf.Call(x)));
        Assert.Equal(1, cf.TraceCount);
    }
}
