using Nabla.Graphs;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>Dead code elimination: unused pure ops go, effects stay (random draws above all), and its switch turns it off.</summary>
public class DeadCodeEliminationTests
{
    static Tensor WithUnusedOps(Tensor x)
    {
        _ = x.Neg();
        var y = x.Exp();
        _ = y.Sin() * 2.0;
        return y;
    }

    [Fact]
    public void UnusedOpsAreRemovedAndTheResultIsEagers()
    {
        var cf = Graph.Compile(WithUnusedOps);
        var x = PassText.V(0.5f, -1f, 2f);
        for (int call = 0; call < 2; call++) Assert.Equal(PassText.F(WithUnusedOps(x)), PassText.F(cf.Call(x)));
        Assert.Equal("""
            graph WithUnusedOps(%0 x: [3] float32)
              %1 = neg(%0) : [3] float32
              %2 = exp(%0) : [3] float32
              %3 = sin(%2) : [3] float32
              %4 = full() : [] float32
              %5 = reshape(%4) : [1] float32
              %6 = expand(%5) : [3] float32
              %7 = mul(%3, %6) : [3] float32
              return %2

            """.Replace("\r", ""), PassText.Ops(cf.TracedGraphFor(x)));
        Assert.Equal("""
            graph WithUnusedOps(%0 x: [3] float32)
              %2 = exp(%0) : [3] float32
              return %2

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("dce: removed 6 op(s)", cf.Explain());
    }

    [Fact]
    public void SwitchedOffItKeepsTheUnusedOps()
    {
        var cf = Graph.Compile(WithUnusedOps, PassText.Without(GraphPasses.DeadCode));
        var x = PassText.V(0.5f, -1f, 2f);
        Assert.Equal(PassText.F(WithUnusedOps(x)), PassText.F(cf.Call(x)));
        Assert.Contains("= neg(%0)", cf.GraphFor(x));
        Assert.DoesNotContain("dce:", cf.Explain());
    }

    static Tensor DrawsButDropsTheDraw(Tensor x)
    {
        _ = Tensor.Randn(3);
        return x * Tensor.Rand(3);
    }

    [Fact]
    public void AnUnusedRandomDrawStillDrawsSoTheGeneratorEndsWhereEagerLeavesIt()
    {
        var cf = Graph.Compile(DrawsButDropsTheDraw);
        var x = PassText.V(1f, 2f, 3f);
        Tensor.ManualSeed(7);
        var eager = new[] { PassText.F(DrawsButDropsTheDraw(x)), PassText.F(DrawsButDropsTheDraw(x)) };
        var eagerState = Generator.Default.State;
        Tensor.ManualSeed(7);
        var compiled = new[] { PassText.F(cf.Call(x)), PassText.F(cf.Call(x)) };   // trace, then replay
        Assert.Equal(eagerState, Generator.Default.State);
        Assert.Equal(eager, compiled);
        var graph = cf.GraphFor(x);
        Assert.Contains("%1 = normal(draws 4 from the global generator)", graph);   // dead, still drawn
        Assert.Contains("uniform(draws 3", graph);
    }

    [Fact]
    public void WritesAndChecksStayEvenWhenNothingReadsThem()
    {
        var v = new Variable(PassText.V(1f, 2f), trainable: false, name: "v");
        Tensor Step(Tensor x)
        {
            v.AddInPlace(x);   // no result reads it: an effect
            return x * 3.0;
        }
        var cf = Graph.Compile((Func<Tensor, Tensor>)Step);
        var x = PassText.V(1f, 1f);
        cf.Call(x);
        cf.Call(x);
        Assert.Equal(new float[] { 3, 4 }, PassText.F(v));
        Assert.Contains("writes", cf.GraphFor(x));
    }
}
