using Nabla.NN;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>The pipeline as a whole: its switch, its log, and the other graph-mode features on a rewritten graph.</summary>
public class PassPipelineTests
{
    static Tensor Redundant(Tensor x)
    {
        _ = x.Neg();
        return (x * 1.0).Exp() + x.Exp() + PassText.V(1f, 2f, 3f) * 2.0;
    }

    [Fact]
    public void WithNoPassesTheGraphIsAsTracedAndEveryPassLogsWhatItDid()
    {
        var x = PassText.V(0.5f, -1f, 2f);
        var off = Graph.Compile(Redundant, new CompileOptions { Passes = GraphPasses.None });
        var on = Graph.Compile(Redundant);
        Assert.Equal(PassText.F(Redundant(x)), PassText.F(off.Call(x)));
        Assert.Equal(PassText.F(Redundant(x)), PassText.F(on.Call(x)));
        Assert.Equal(PassText.F(Redundant(x)), PassText.F(on.Call(x)));
        Assert.Equal(off.GraphFor(x), off.TracedGraphFor(x));
        Assert.DoesNotContain("passes (", off.Explain());
        Assert.Equal(on.TracedGraphFor(x), off.GraphFor(x).Replace(off.Name, on.Name));
        var log = on.Explain();
        Assert.True(log.Contains("passes (14 -> 2 ops): fold: folded 1 op(s), simplify: removed 1 op(s), cse: merged 1 value(s), dce: removed 8 op(s), fuse: fused 1 group(s) of 3 ops: [exp add add]"), log);
    }

    [Fact]
    public void AJointGraphIsBuiltFromTheRewrittenGraphAndGivesEagersGradients()
    {
        var (netC, netE) = (new Linear(3, 2, seed: 5), new Linear(3, 2, seed: 5));
        Tensor Loss(Module net, Tensor x)
        {
            _ = x.Exp();   // dead
            var scale = PassText.V(1f, 1f) * 0.5;   // folded
            return (net.Call(x) * scale).Sum();
        }
        var cf = Graph.Compile((Tensor x) => Loss(netC, x));
        var x = Tensor.FromArray([0.1f, -0.2f, 0.3f, 0.4f, 0.5f, -0.6f], [2, 3]);
        for (int call = 0; call < 4; call++)
        {
            var ge = Autograd.Grad([Loss(netE, x)], [.. netE.Parameters()]);
            var gc = Autograd.Grad([cf.Call(x)], [.. netC.Parameters()]);
            for (int i = 0; i < ge.Length; i++) Assert.Equal(PassText.F(ge[i]!), PassText.F(gc[i]!));
        }
        Assert.Equal(1, cf.TraceCount);
        Assert.Contains("fold:", cf.Explain());
        Assert.Contains("dce:", cf.Explain());
    }

    [Fact]
    public void ADynamicTraceIsGeneralizedFromTheRewrittenGraph()
    {
        static Tensor F(Tensor x) => (x * 1.0).Exp().Sum(1) + x.Exp().Sum(1) + Tensor.OnesLike(x).Sum(1);
        var cf = Graph.Compile(F, new CompileOptions { InputSignature = [new TensorSpec([null, 3])] });
        foreach (int n in new[] { 4, 7, 2, 9 })
        {
            var x = Tensor.Randn([n, 3]);
            Assert.Equal(PassText.F(F(x)), PassText.F(cf.Call(x)));
        }
        Assert.True(cf.TraceCount == 1, cf.Explain());
        Assert.Contains("dynamic dims", cf.Explain());
        Assert.Contains("simplify:", cf.Explain());
        // The two exp(x) merge: equal inputs and size-free parameters are equal at every size.
        Assert.Contains("cse:", cf.Explain());
    }
}
