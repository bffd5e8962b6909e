using Nabla.NN;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A pure compiled function differentiated by its caller replays as one node (CompiledFunctionBackward) whose
/// backward is a graph traced once from the VJP rules: the same gradients as eager code, bitwise, with one
/// node instead of one per op; higher orders replay the forward again with a node per op.
/// </summary>
[Collection("Default generator")]
public class JointGraphTests
{
    static double[] D(Tensor t) => t.ToArray<double>();

    static Tensor Net(Tensor x, Tensor w) => (x.MatMul(w).Tanh() * x.MatMul(w)).Sum();

    static Tensor W(int seed) => Tensor.Randn([4, 2], seed: seed, dtype: DType.Float64, requiresGrad: true);

    [Fact]
    public void ReplayGivesOneNodeAndEagerGradientsBitwise()
    {
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)Net);
        var x = Tensor.Randn([3, 4], seed: 1, dtype: DType.Float64);
        cf.Call(x, W(2));                                               // trace
        // The first replay differentiable from outside records a node per op, and traces the joint backward from them.
        var (w1c, w1e) = (W(7), W(7));
        var first = cf.Call(x, w1c);
        Assert.NotEqual("CompiledFunctionBackward", first.GradFn!.Name);
        first.Backward();
        Net(x, w1e).Backward();
        Assert.Equal(D(w1e.Grad!), D(w1c.Grad!));
        var (wc, we) = (W(3), W(3));
        var y = cf.Call(x, wc);
        Assert.Equal("CompiledFunctionBackward", y.GradFn!.Name);
        Assert.Same(wc.GradFn ?? null, null);
        Assert.Single(y.GradFn.NextFunctions);                          // straight to w's accumulator: no node per op
        y.Backward();
        Net(x, we).Backward();
        Assert.Equal(D(we.Grad!), D(wc.Grad!));
        Assert.Contains("CompiledFunctionBackward", Assert.Throws<InvalidOperationException>(() => y.Backward()).Message);   // freed, as eager
    }

    [Fact]
    public void SecondOrderThroughAJointReplayMatchesEager()
    {
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)Net);
        var x = Tensor.Randn([3, 4], seed: 4, dtype: DType.Float64);
        cf.Call(x, W(5));
        var (wc, we) = (W(6), W(6));
        var gc = Autograd.Grad(cf.Call(x, wc), wc, createGraph: true)!;
        var ge = Autograd.Grad(Net(x, we), we, createGraph: true)!;
        Assert.Equal(D(ge), D(gc));
        var hc = Autograd.Grad((gc * gc).Sum(), wc)!;
        var he = Autograd.Grad((ge * ge).Sum(), we)!;
        Assert.Equal(D(he), D(hc));
    }

    [Fact]
    public void DropoutMaskIsTheSameWhenTheForwardIsReplayedForASecondOrder()
    {
        var drop = new Dropout(0.5);
        Tensor F(Tensor x, Tensor w) => (drop.Call(x * w) * (x * w)).Sum();
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)F);
        var x = Tensor.Randn([64], seed: 7, dtype: DType.Float64);
        Tensor.ManualSeed(1);
        cf.Call(x, Tensor.Randn([64], seed: 8, dtype: DType.Float64, requiresGrad: true));
        var (wc, we) = (Tensor.Randn([64], seed: 9, dtype: DType.Float64, requiresGrad: true), Tensor.Randn([64], seed: 9, dtype: DType.Float64, requiresGrad: true));
        Tensor.ManualSeed(2);
        var gc = Autograd.Grad(cf.Call(x, wc), wc, createGraph: true)!;
        Tensor.Randn([5]);                                              // draws between forward and backward don't matter
        Tensor.ManualSeed(2);
        var ge = Autograd.Grad(F(x, we), we, createGraph: true)!;
        Assert.Equal(D(ge), D(gc));
        Assert.Equal(D(Autograd.Grad(ge.Sum(), we)!), D(Autograd.Grad(gc.Sum(), wc)!));
    }

    [Fact]
    public void SeveralDifferentiableOutputsRecordANodePerOpAndMatchEagerBitwise()
    {
        Tensor[] F(Tensor[] a) => [(a[0] * a[1]).Sin(), (a[0] + a[1]).Exp().Sum()];
        var cf = Graph.Compile(F);
        Tensor[] Args() => [Tensor.FromArray(new[] { 0.5, -1.0 }, [2], requiresGrad: true), Tensor.FromArray(new[] { 2.0, 0.25 }, [2], requiresGrad: true)];
        cf.Call(Args());
        var (ac, ae) = (Args(), Args());
        var yc = cf.Call(ac);
        var ye = F(ae);
        // One node per output would add their input gradients in another order than eager's one pass (equal to
        // rounding only): with several differentiable outputs a replay records a node per op instead.
        Assert.Equal("SinBackward", yc[0].GradFn!.Name);
        yc[0].Sum().Backward();                                         // one output first
        ye[0].Sum().Backward();
        yc[1].Backward();                                               // then the other: its node still has what it needs
        ye[1].Backward();
        Assert.Equal(D(ae[0].Grad!), D(ac[0].Grad!));
        Assert.Equal(D(ae[1].Grad!), D(ac[1].Grad!));
    }

    [Fact]
    public void AnInputChangedInPlaceBeforeTheBackwardIsAnErrorAsInEager()
    {
        var cf = Graph.Compile((Tensor w) => (w * w).Sum());
        cf.Call(Tensor.Ones([2], requiresGrad: true));
        var w = Tensor.Ones([2], requiresGrad: true);
        var leaf = w.Detach();
        var y = cf.Call(w);
        leaf.AddInPlace(1.0);                                           // the same memory as w
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("modified by an in-place operation", e.Message);
    }

    [Fact]
    public void RetainGraphLetsTheCallerWalkAJointNodeTwice()
    {
        var cf = Graph.Compile((Tensor w) => (w * w * w).Sum());
        cf.Call(Tensor.Ones([2], requiresGrad: true));
        var w = Tensor.FromArray(new[] { 1.0, 2.0 }, [2], requiresGrad: true);
        var y = cf.Call(w);
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(new[] { 6.0, 24.0 }, D(w.Grad!));                  // 2 x 3 w^2
    }
}
