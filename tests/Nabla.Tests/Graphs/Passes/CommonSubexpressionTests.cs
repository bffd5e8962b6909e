using Nabla.Graphs;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>Common-subexpression elimination: equal pure ops on equal inputs merge; draws, writes and gradients keep them apart.</summary>
public class CommonSubexpressionTests
{
    static Tensor ExpTwice(Tensor x) => x.Exp() + x.Exp();

    [Fact]
    public void TwoEqualOpsOnTheSameInputBecomeOne()
    {
        var cf = Graph.Compile(ExpTwice, PassText.Unfused);
        var x = PassText.V(0.5f, -1f, 2f);
        for (int call = 0; call < 2; call++) Assert.Equal(PassText.F(ExpTwice(x)), PassText.F(cf.Call(x)));
        Assert.Equal("""
            graph ExpTwice(%0 x: [3] float32)
              %1 = exp(%0) : [3] float32
              %2 = exp(%0) : [3] float32
              %3 = add(%1, %2) : [3] float32
              return %3

            """.Replace("\r", ""), PassText.Ops(cf.TracedGraphFor(x)));
        Assert.Equal("""
            graph ExpTwice(%0 x: [3] float32)
              %1 = exp(%0) : [3] float32
              %3 = add(%1, %1) : [3] float32
              return %3

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("cse: merged 1 value(s)", cf.Explain());
    }

    [Fact]
    public void SwitchedOffBothOpsStay()
    {
        var cf = Graph.Compile(ExpTwice, PassText.Without(GraphPasses.CommonSubexpressions));
        var x = PassText.V(0.5f, -1f, 2f);
        Assert.Equal(PassText.F(ExpTwice(x)), PassText.F(cf.Call(x)));
        Assert.Contains("%3 = add(%1, %2)", cf.GraphFor(x));
    }

    [Fact]
    public void FillsWithDifferentValuesStayApartEvenMinusZeroAndZero()
    {
        static Tensor F(Tensor x) => (x * 0.0) + (x * -0.0);
        var cf = Graph.Compile(F);
        var x = PassText.V(1f, -2f);
        for (int call = 0; call < 2; call++) Assert.Equal(PassText.F(F(x)), PassText.F(cf.Call(x)));
        Assert.Equal(2, cf.GraphFor(x).Split("= full()").Length - 1);
    }

    [Fact]
    public void TwoRandomDrawsAreNeverMerged()
    {
        static Tensor Noisy(Tensor x) => x + Tensor.Randn(3) + Tensor.Randn(3);
        var cf = Graph.Compile(Noisy);
        var x = PassText.V(1f, 2f, 3f);
        Tensor.ManualSeed(3);
        var eager = new[] { PassText.F(Noisy(x)), PassText.F(Noisy(x)) };
        Tensor.ManualSeed(3);
        var compiled = new[] { PassText.F(cf.Call(x)), PassText.F(cf.Call(x)) };
        Assert.Equal(eager, compiled);
        Assert.Equal(2, cf.GraphFor(x).Split("= normal(").Length - 1);
    }

    [Fact]
    public void OpsOnEitherSideOfAWriteStayApart()
    {
        var v = new Variable(PassText.V(1f, 2f), trainable: false, name: "v");
        Tensor Step(Tensor x)
        {
            var before = v.Exp();
            v.AddInPlace(x);
            return before + v.Exp();   // the second exp reads the updated v
        }
        var cf = Graph.Compile((Func<Tensor, Tensor>)Step, PassText.Unfused);
        var x = PassText.V(1f, 1f);
        var first = PassText.F(cf.Call(x));
        var second = PassText.F(cf.Call(x));   // replay
        var ve = PassText.V(2f, 3f);
        Assert.Equal(PassText.F(ve.Exp() + (ve + x).Exp()), second);
        Assert.NotEqual(first, second);
        Assert.Equal(2, cf.GraphFor(x).Split("= exp(").Length - 1);
    }

    [Fact]
    public void OpsWhoseResultsRequireGradStayApartSoGradientsAreEagers()
    {
        // One node instead of two would sum the incoming gradients before the rule instead of after: not bitwise.
        static Tensor F(Tensor x) => (x.Exp() * 3.0 + x.Exp() * 0.7).Sum();
        var cf = Graph.Compile(F);
        var xe = Tensor.FromArray([0.3f, -1.1f, 2.2f], [3], requiresGrad: true);
        var xc = Tensor.FromArray([0.3f, -1.1f, 2.2f], [3], requiresGrad: true);
        for (int call = 0; call < 3; call++)
        {
            var ge = Autograd.Grad(F(xe), xe)!;
            var gc = Autograd.Grad(cf.Call(xc), xc)!;
            Assert.Equal(PassText.F(ge), PassText.F(gc));
        }
        Assert.Equal(2, cf.GraphFor(xc).Split("= exp(").Length - 1);
    }

    [Fact]
    public void ATapeWatchingAnArgumentGetsTheGraphAsTracedSoGradientsAreEagers()
    {
        // Traced without a tape, the two tanh merge; a tape watching x around a later call records every op, and a
        // merged value's gradient would be summed before the rule instead of after: that call runs the traced graph.
        static Tensor TanhTwice(Tensor x) => (x.Tanh() * x + x.Tanh()).Sum();
        var cf = Graph.Compile((Func<Tensor, Tensor>)TanhTwice);
        var x = Tensor.Randn([5], DType.Float64, seed: 3);
        cf.Call(x);
        Assert.Contains("cse: merged 1 value(s)", cf.Explain());
        Tensor Gradient(Func<Tensor, Tensor> f)
        {
            using var tape = new GradientTape();
            tape.Watch(x);
            return tape.Gradient(f(x), x)!;
        }
        Assert.Equal(Gradient(TanhTwice).ToArray<double>(), Gradient(cf.Call).ToArray<double>());
    }
}
