using System.Diagnostics;
using System.Runtime.CompilerServices;
using Nabla.Engine;
using Nabla.NN;

namespace Nabla.Tests.Graphs;

/// <summary>
/// With CompileOptions.RecordAllSites every op a trace records names the user's line it came from (GraphFor prints it;
/// replay errors and anomaly reports use it; without the switch only ops whose replay may fail record it: SourceSiteTests).
/// A trace finds it with a walk of the top frames only (TopFrames), falling back to a walk of the whole stack: these check
/// that the lines are the user's in every shape of call, shallow or deep.
/// </summary>
public class TraceSiteTests
{
    static int Line([CallerLineNumber] int line = 0) => line;

    const string File = "TraceSiteTests.cs";

    // A trace records every op's line only when asked (else only the lines a replay may need): these check how it finds them.
    static readonly CompileOptions AllSites = new() { RecordAllSites = true };

    /// <summary>The site printed at the end of each op line of <paramref name="graph"/>, in program order.</summary>
    static List<string> Sites(string graph) =>
        [.. graph.Split('\n').Where(l => l.StartsWith("  %") && l.Contains(" = ") && !l.Contains(" = capture "))
            .Select(l => l[(l.LastIndexOf("  # ", StringComparison.Ordinal) + 4)..].TrimEnd('\r'))];

    [Fact]
    public void OpsOfALambdaNameTheirOwnLines()
    {
        int first = 0, second = 0;
        var cf = Graph.Compile((Tensor x) =>
        {
            first = Line(); var y = x * x;
            second = Line(); return y.Exp();
        }, AllSites);
        var a = Tensor.Ones([3]);
        cf.Call(a);
        var sites = Sites(cf.TracedGraphFor(a));
        Assert.Equal(2, sites.Count);
        string lambda = $"TraceSiteTests.{nameof(OpsOfALambdaNameTheirOwnLines)} (lambda)";
        Assert.Equal($"{lambda} ({File}:{first})", sites[0]);
        Assert.Equal($"{lambda} ({File}:{second})", sites[1]);
    }

    static int _helperLine;

    static Tensor Helper(Tensor x)
    {
        _helperLine = Line(); return x.Tanh();
    }

    [Fact]
    public void OpsOfAMethodCalledFromTheLambdaNameThatMethod()
    {
        int line = 0;
        var cf = Graph.Compile((Tensor x) =>
        {
            var y = Helper(x);
            line = Line(); return y * y;
        }, AllSites);
        var a = Tensor.Ones([3]);
        cf.Call(a);
        var sites = Sites(cf.TracedGraphFor(a));
        Assert.Equal([$"TraceSiteTests.Helper ({File}:{_helperLine})",
            $"TraceSiteTests.{nameof(OpsOfAMethodCalledFromTheLambdaNameThatMethod)} (lambda) ({File}:{line})"], sites);
    }

    sealed class Scale : Module
    {
        public int ForwardLine;

        public override Tensor Forward(Tensor x)
        {
            ForwardLine = Line(); return x * x;
        }
    }

    [Fact]
    public void OpsOfAUsersModuleNameItsForward()
    {
        var model = new Scale();
        var cf = Graph.Compile(model, AllSites);
        var a = Tensor.Ones([3]);
        cf.Call(a);
        Assert.Equal([$"Scale.Forward ({File}:{model.ForwardLine})"], Sites(cf.GraphFor(a)));
    }

    [Fact]
    public void OpsOfALibraryCompositeNameTheUsersLineNotNablas()
    {
        int line = 0;
        var cf = Graph.Compile((Tensor x, Tensor labels) =>
        {
            line = Line(); return Functional.CrossEntropy(x, labels);
        }, AllSites);
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var labels = Tensor.FromArray(new long[] { 0, 2 }, [2]);
        cf.Call(x, labels);
        var sites = Sites(cf.GraphFor(x, labels));
        Assert.True(sites.Count > 3, $"cross-entropy is a composite of several ops, got {sites.Count}");
        Assert.All(sites, s => Assert.Equal($"TraceSiteTests.{nameof(OpsOfALibraryCompositeNameTheUsersLineNotNablas)} (lambda) ({File}:{line})", s));
    }

    [Fact]
    public void OpsReachedThroughDotNetLibrariesNameTheUsersLineNotTheLibrarys()
    {
        // Functional.Relu runs inside System.Linq's iterator: the first frame outside Nabla is .NET's, not the user's.
        // Two lines reach it through the same .NET frame, so a site remembered by that frame would name one line twice.
        int first = 0, second = 0;
        var cf = Graph.Compile((Tensor x) =>
        {
            first = Line(); var y = new[] { x }.Select(Functional.Relu).ToArray()[0];
            second = Line(); return new[] { y }.Select(Functional.Relu).ToArray()[0];
        }, AllSites);
        var a = Tensor.Ones([3]);
        cf.Call(a);
        string lambda = $"TraceSiteTests.{nameof(OpsReachedThroughDotNetLibrariesNameTheUsersLineNotTheLibrarys)} (lambda)";
        Assert.Equal([$"{lambda} ({File}:{first})", $"{lambda} ({File}:{second})"], Sites(cf.TracedGraphFor(a)));
    }

    [Fact]
    public void OpsDeepInsideNablaModulesNameTheUsersLine()
    {
        // Twenty nested Sequentials put about sixty Nabla frames between the op and the user's lambda: more than
        // the first short walk covers, so the trace must walk further (and then shrink back for the shallow op).
        Module model = new Linear(3, 2, seed: 1);
        for (int i = 0; i < 20; i++) model = new Sequential(model);
        int deep = 0, shallow = 0;
        var cf = Graph.Compile((Tensor x) =>
        {
            deep = Line(); var y = model.Call(x);
            shallow = Line(); return y.Exp();
        }, AllSites);
        var a = Tensor.Ones([4, 3]);
        cf.Call(a);
        var sites = Sites(cf.GraphFor(a));
        string lambda = $"TraceSiteTests.{nameof(OpsDeepInsideNablaModulesNameTheUsersLine)} (lambda)";
        Assert.Equal($"{lambda} ({File}:{shallow})", sites[^1]);
        Assert.All(sites.SkipLast(1), s => Assert.Equal($"{lambda} ({File}:{deep})", s));
        Assert.True(sites.Count > 1);
    }

    [Fact]
    public void ATraceCalledFromADeepUserStackNamesTheNearestUserLine()
    {
        int line = 0;
        var cf = Graph.Compile((Tensor x) =>
        {
            line = Line(); return x.Exp();
        }, AllSites);
        var a = Tensor.Ones([3]);
        Recurse(300, () => cf.Call(a));
        Assert.Equal([$"TraceSiteTests.{nameof(ATraceCalledFromADeepUserStackNamesTheNearestUserLine)} (lambda) ({File}:{line})"], Sites(cf.GraphFor(a)));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Recurse(int depth, Action then)
    {
        if (depth == 0) then();
        else Recurse(depth - 1, then);
    }

    [Fact]
    public void TheShortWalkSeesTheFramesStackTraceSees()
    {
        // The fast path must be the one taken on this runtime (else traces silently pay for whole-stack walks),
        // stop at the count asked, and give the same methods and IL offsets as StackTrace, from this frame down.
        var top = TopFrames.Walk(12);
        var trace = new StackTrace(false);
        Assert.NotNull(top);
        Assert.Equal(12, top.Count);
        var self = trace.GetFrame(0)!.GetMethod();
        int start = Enumerable.Range(0, top.Count).First(i => top.Method(i) == self);
        for (int i = start, j = 0; i < top.Count; i++, j++)
        {
            Assert.Equal(trace.GetFrame(j)!.GetMethod(), top.Method(i));
            if (j > 0) Assert.Equal(trace.GetFrame(j)!.GetILOffset(), top.ILOffset(i));   // frame 0: two different call instructions
        }
    }
}
