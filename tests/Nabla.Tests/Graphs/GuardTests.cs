namespace Nabla.Tests.Graphs;

/// <summary>
/// A value read to the host while tracing becomes a guard: a replay recomputes it, and a different value
/// retraces instead of reusing a branch taken for another value. Limits and FullGraph turn into eager runs
/// or errors, each explained.
/// </summary>
// Draws from (and reseeds) the process-wide generator: runs alone, so no other test draws in between.
[Collection("Default generator")]
public class GuardTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static Tensor SignBranch(Tensor x) => x.Sum().Item<float>() > 0 ? x * 2.0 : x * 3.0;

    [Fact]
    public void ItemBranchGivesTheRightAnswerForBothSignsAndExplainsTheRetrace()
    {
        var cf = Graph.Compile(SignBranch);
        var pos = Tensor.FromArray(new float[] { 1, 2 }, [2]);
        var neg = Tensor.FromArray(new float[] { -1, -2 }, [2]);
        Assert.Equal(new float[] { 2, 4 }, F(cf.Call(pos)));
        Assert.Equal(new float[] { -3, -6 }, F(cf.Call(neg)));
        Assert.Equal(new float[] { 2, 4 }, F(cf.Call(pos)));       // the first graph again: its guard holds
        Assert.Equal(new float[] { -3, -6 }, F(cf.Call(neg)));
        Assert.Equal(2, cf.TraceCount);
        var explain = cf.Explain();
        Assert.Contains("retrace #2 of SignBranch: guard at", explain);
        Assert.Contains("value 3 -> -3", explain);
        Assert.Contains("guard of trace #1: %", explain);
    }

    [Fact]
    public void GuardOfAnInnerCompiledFunctionGuardsTheOuterGraph()
    {
        var inner = Graph.Compile(SignBranch);
        var pos = Tensor.FromArray(new float[] { 1, 2 }, [2]);
        var neg = Tensor.FromArray(new float[] { -1, -2 }, [2]);
        inner.Call(pos);                                             // traced alone: the outer trace will see its replay
        var outer = Graph.Compile((Tensor x) => inner.Call(x) + 1.0);
        Assert.Equal(new float[] { 3, 5 }, F(outer.Call(pos)));
        Assert.Equal(new float[] { -2, -5 }, F(outer.Call(neg)));
        Assert.Equal(new float[] { 3, 5 }, F(outer.Call(pos)));
        Assert.Equal(2, outer.TraceCount);
        Assert.Equal(2, inner.TraceCount);
    }

    [Fact]
    public void IntegerReadIsGuardedOnItsValue()
    {
        // The number of positive entries decides how many times to double: a C# loop over a read value.
        static Tensor Repeat(Tensor x)
        {
            long n = x.Gt(0.0).To(DType.Int64).Sum().Item<long>();
            var y = x;
            for (long i = 0; i < n; i++) y = y * 2.0;
            return y;
        }
        var cf = Graph.Compile(Repeat);
        var a = Tensor.FromArray(new float[] { 1, -1, 1 }, [3]);    // n = 2
        var b = Tensor.FromArray(new float[] { 5, -1, -2 }, [3]);   // n = 1
        var c = Tensor.FromArray(new float[] { 3, -4, 2 }, [3]);    // n = 2: replays a's graph
        Assert.Equal(new float[] { 4, -4, 4 }, F(cf.Call(a)));
        Assert.Equal(new float[] { 10, -2, -4 }, F(cf.Call(b)));
        Assert.Equal(new float[] { 12, -16, 8 }, F(cf.Call(c)));
        Assert.Equal(2, cf.TraceCount);
    }

    [Fact]
    public void FailedGuardGivesBackTheRandomDrawsOfThePartialReplay()
    {
        // Randn before the guard: the aborted replay must not consume draws eager code would not consume.
        static Tensor Noisy(Tensor x)
        {
            var noise = Tensor.Randn([2]);
            return x.Sum().Item<float>() > 0 ? x + noise : x - noise;
        }
        var cf = Graph.Compile(Noisy);
        var pos = Tensor.FromArray(new float[] { 1, 1 }, [2]);
        var neg = Tensor.FromArray(new float[] { -1, -1 }, [2]);
        Tensor.ManualSeed(1);
        var compiled = new[] { F(cf.Call(pos)), F(cf.Call(neg)), F(cf.Call(pos)) };
        Tensor.ManualSeed(1);
        var eager = new[] { F(Noisy(pos)), F(Noisy(neg)), F(Noisy(pos)) };
        for (int i = 0; i < 3; i++) Assert.Equal(eager[i], compiled[i]);
    }

    [Fact]
    public void PastTheRetraceLimitRunsEagerlyAndWarnsOnceWithTheHistory()
    {
        int runs = 0;
        var cf = Graph.Compile((Tensor x) => { runs++; return x.Sum(); }, new CompileOptions { RetraceLimit = 2 });
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        try
        {
            for (int n = 1; n <= 4; n++) Assert.Equal((float)n, cf.Call(Tensor.Ones([n])).Item<float>());
        }
        finally { Console.SetError(saved); }
        Assert.Equal(2, cf.TraceCount);
        Assert.Equal(4, runs);                                       // calls 3 and 4 ran the C# code eagerly
        var warning = error.ToString();
        Assert.Equal(1, warning.Split("warning:").Length - 1);
        Assert.Contains("x: shape [2] -> [3]", warning);
        Assert.Contains("past the retrace limit (2): ran eagerly (x: shape [2] -> [4])", cf.Explain());
    }

    [Fact]
    public void FullGraphRefusesAFloatReadNamingTheCallerAndWhere()
    {
        var cf = Graph.Compile(SignBranch, new CompileOptions { FullGraph = true });
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(Tensor.Ones([2])));
        Assert.Contains("with FullGraph, the function reads a floating value (2", e.Message);
        Assert.Contains("GuardTests.cs:", e.Message);
        Assert.Contains("Where", e.Message);
    }

    [Fact]
    public void FullGraphRefusesGoingPastTheRetraceLimit()
    {
        var cf = Graph.Compile((Tensor x) => x * 2.0, new CompileOptions { FullGraph = true, RetraceLimit = 1 });
        cf.Call(Tensor.Ones([2]));
        var e = Assert.Throws<InvalidOperationException>(() => cf.Call(Tensor.Ones([3])));
        Assert.Contains("past RetraceLimit (1) because x: shape [2] -> [3]", e.Message);
    }

    [Fact]
    public void GradientTapeInsideIsTracedOnceEvenUnderFullGraph()
    {
        var w = new Variable(Tensor.FromArray(new float[] { 1, 2 }, [2]));
        var cf = Graph.Compile((Tensor x) =>
        {
            using var tape = new GradientTape();
            var loss = (x * w * w).Sum();
            return tape.Gradient(loss, w)!;                            // 2 x w
        }, new CompileOptions { FullGraph = true });
        Assert.Equal(new float[] { 6, 12 }, F(cf.Call(Tensor.FromArray(new float[] { 3, 3 }, [2]))));
        Assert.Equal(new float[] { 2, -4 }, F(cf.Call(Tensor.FromArray(new float[] { 1, -1 }, [2]))));
        w.Assign(Tensor.FromArray(new float[] { -1, 0.5f }, [2]));   // read by reference at every call
        Assert.Equal(new float[] { -2, 1 }, F(cf.Call(Tensor.FromArray(new float[] { 1, 1 }, [2]))));
        Assert.Equal(1, cf.TraceCount);
        Assert.DoesNotContain("runs eagerly", cf.Explain());
    }

    [Fact]
    public void HostReadAfterAWriteRunsEagerlyWithTheReason()
    {
        var v = new Variable(Tensor.Zeros([]), trainable: false);
        int runs = 0;
        var cf = Graph.Compile((Tensor x) => { runs++; v.AssignAdd(x.Sum()); return v.Item<float>() > 3 ? x * 0.0 : x; });
        var x = Tensor.Ones([2]);
        Assert.Equal(new float[] { 1, 1 }, F(cf.Call(x)));          // v = 2
        Assert.Equal(new float[] { 0, 0 }, F(cf.Call(x)));          // v = 4: the other branch, as eager
        Assert.Equal(2, runs);
        Assert.Contains("after an in-place update", cf.Explain());
    }
}
