using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.Graphs.Passes;

namespace Nabla.Tests.Graphs;

/// <summary>
/// The joint backward's partition (GraphPasses.Recompute): which forward values it keeps and which it recomputes
/// for known graphs, golden before/after backward graphs, and gradients, higher orders and training steps equal
/// to eager code's bitwise.
/// </summary>
[Collection("Default generator")]
public class PartitionTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static Tensor V(int seed, int n, bool grad = false) => Tensor.Randn([n], seed: seed, requiresGrad: grad);

    static Tensor TanhTimesInput(Tensor x, Tensor w)
    {
        var h = x * w;
        return (h.Tanh() * h).Sum();
    }

    /// <summary>Trace, then the replay that builds the joint backward, then a joint replay: returns w's gradient from the last.</summary>
    static float[] JointGradient(CompiledFunction<Func<Tensor, Tensor, Tensor>> cf, Tensor x, int wSeed, int n)
    {
        for (int call = 0; call < 2; call++) cf.Call(x, V(wSeed + 100 + call, n, grad: true)).Backward();
        var w = V(wSeed, n, grad: true);
        var y = cf.Call(x, w);
        Assert.Equal("CompiledFunctionBackward", y.GradFn!.Name);
        y.Backward();
        return F(w.Grad!);
    }

    [Fact]
    public void ElementwiseValuesOfArgumentsAreRecomputedGolden()
    {
        var x = V(1, 3);
        var before = Graph.Compile((Func<Tensor, Tensor, Tensor>)TanhTimesInput, PassText.Without(GraphPasses.Recompute));
        var after = Graph.Compile((Func<Tensor, Tensor, Tensor>)TanhTimesInput, PassText.Unfused);
        var we = V(2, 3, grad: true);
        TanhTimesInput(x, we).Backward();
        Assert.Equal(F(we.Grad!), JointGradient(before, x, 2, 3));
        Assert.Equal(F(we.Grad!), JointGradient(after, x, 2, 3));
        // Without the partition the backward reads x, h = x*w and tanh(h) from the forward.
        Assert.Equal("""
            graph TanhTimesInput_backward(%0 grad_out0: [] float32, %1 saved%0: [3] float32, %3 saved%2: [3] float32, %4 saved%3: [3] float32)
              %7 = reshape(%0) : [1] float32
              %8 = expand(%7) : [3] float32
              %9 = mul(%8, %3) : [3] float32
              %10 = mul(%8, %4) : [3] float32
              %11 = tanh_backward(%9, %4) : [3] float32
              %12 = add(%10, %11) : [3] float32
              %13 = mul(%12, %1) : [3] float32
              return %13

            """.Replace("\r", ""), PassText.Ops(before.BackwardGraphFor(x, V(0, 3, grad: true))!));
        // With it the backward keeps only the arguments (held by the call anyway) and computes h and tanh(h) again.
        Assert.Equal("""
            graph TanhTimesInput_backward(%0 grad_out0: [] float32, %1 saved%0: [3] float32, %14 saved%1: [3] float32)
              %3 = mul(%1, %14) : [3] float32
              %4 = tanh(%3) : [3] float32
              %7 = reshape(%0) : [1] float32
              %8 = expand(%7) : [3] float32
              %9 = mul(%8, %3) : [3] float32
              %10 = mul(%8, %4) : [3] float32
              %11 = tanh_backward(%9, %4) : [3] float32
              %12 = add(%10, %11) : [3] float32
              %13 = mul(%12, %1) : [3] float32
              return %13

            """.Replace("\r", ""), PassText.Ops(after.BackwardGraphFor(x, V(0, 3, grad: true))!));
        Assert.Contains("joint backward of trace #1: keeps 2 values (0 B) of 3 (24 B); recomputes 2", after.Explain());
        Assert.DoesNotContain("joint backward", before.Explain());
    }

    static Tensor MatMulTanh(Tensor x, Tensor w)
    {
        var m = x.MatMul(w);
        return (m.Tanh() * m).Sum();
    }

    [Fact]
    public void MatMulIsKeptAndTheElementwiseOpOnItRecomputed()
    {
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)MatMulTanh, PassText.Unfused);
        var x = Tensor.Randn([4, 5], seed: 3);
        Tensor W(int seed) => Tensor.Randn([5, 6], seed: seed, requiresGrad: true);
        for (int call = 0; call < 2; call++) cf.Call(x, W(10 + call)).Backward();
        var (wc, we) = (W(4), W(4));
        cf.Call(x, wc).Backward();
        MatMulTanh(x, we).Backward();
        Assert.Equal(F(we.Grad!), F(wc.Grad!));
        var backward = cf.BackwardGraphFor(x, wc)!;
        Assert.Contains("= tanh(", backward);
        Assert.DoesNotContain("matmul(%", backward.Split('\n').First(l => l.Contains("= tanh(")));
        Assert.Equal(1, backward.Split('\n').Count(l => l.Contains("= tanh(")));
        // m (4x6 floats) stays kept; tanh(m), as large, is recomputed from it.
        Assert.Contains("keeps 2 values (96 B) of 3 (192 B); recomputes 1", cf.Explain());
    }

    static Tensor ReluAfterMatMul(Tensor x, Tensor w) => x.MatMul(w).Relu().Sum();

    [Fact]
    public void ANoCheaperChoiceKeepsEverything()
    {
        // relu's backward reads its output; recomputing it would keep the matmul's output instead, as many bytes.
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)ReluAfterMatMul, PassText.Unfused);
        var x = Tensor.Randn([4, 5], seed: 5);
        Tensor W(int seed) => Tensor.Randn([5, 3], seed: seed, requiresGrad: true);
        for (int call = 0; call < 3; call++) cf.Call(x, W(20 + call)).Backward();
        var (wc, we) = (W(6), W(6));
        cf.Call(x, wc).Backward();
        ReluAfterMatMul(x, we).Backward();
        Assert.Equal(F(we.Grad!), F(wc.Grad!));
        Assert.NotNull(cf.BackwardGraphFor(x, wc));
        Assert.DoesNotContain("joint backward", cf.Explain());
    }

    [Fact]
    public void ALongChainGivesEagerGradientsBitwiseOnEveryCall()
    {
        var b = V(7, 16, grad: true);
        var c = Tensor.Rand([16], seed: 8, requiresGrad: true);
        Tensor Chain(Tensor y)
        {
            for (int i = 0; i < 30; i++) y = (i % 3) switch { 0 => y + b, 1 => y * c, _ => y.Tanh() };
            return y.Sum();
        }
        var cf = Graph.Compile(Chain);
        for (int call = 0; call < 4; call++)
        {
            var x = V(30 + call, 16, grad: true);
            var xe = V(30 + call, 16, grad: true);
            b.Grad = null; c.Grad = null;
            cf.Call(x).Backward();
            var (gb, gc) = (F(b.Grad!), F(c.Grad!));
            b.Grad = null; c.Grad = null;
            Chain(xe).Backward();
            Assert.Equal(F(xe.Grad!), F(x.Grad!));
            Assert.Equal(F(b.Grad!), gb);
            Assert.Equal(F(c.Grad!), gc);
        }
        Assert.Contains("recomputes", cf.Explain());
    }

    [Fact]
    public void SecondOrderThroughAPartitionedJointGraphMatchesEager()
    {
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)TanhTimesInput);
        var x = V(40, 8);
        for (int call = 0; call < 2; call++) cf.Call(x, V(41 + call, 8, grad: true)).Backward();
        Assert.Contains("recomputes", cf.Explain());
        var (wc, we) = (V(43, 8, grad: true), V(43, 8, grad: true));
        var gc = Autograd.Grad(cf.Call(x, wc), wc, createGraph: true)!;
        var ge = Autograd.Grad(TanhTimesInput(x, we), we, createGraph: true)!;
        Assert.Equal(F(ge), F(gc));
        // Hessian-vector product: d/dw <grad, v>.
        var v = V(44, 8);
        Assert.Equal(F(Autograd.Grad((ge * v).Sum(), we)!), F(Autograd.Grad((gc * v).Sum(), wc)!));
    }

    [Fact]
    public void TrainingStepsThroughACompiledLossEqualEagerParametersBitwise()
    {
        Module Mlp() => new Sequential(new Linear(6, 8, seed: 1), new ReLU(), new Linear(8, 8, seed: 2), new Tanh(), new Linear(8, 3, seed: 3));
        var (mc, me) = (Mlp(), Mlp());
        var (oc, oe) = (new Sgd(mc.Parameters(), learningRate: 0.1, momentum: 0.9), new Sgd(me.Parameters(), learningRate: 0.1, momentum: 0.9));
        var loss = Graph.Compile((Func<Tensor, Tensor, Tensor>)((x, t) => Functional.CrossEntropy(mc.Call(x), t)));
        var labels = Tensor.FromArray(new long[] { 0, 2, 1, 1, 0 }, [5]);
        for (int step = 0; step < 5; step++)
        {
            var x = Tensor.Randn([5, 6], seed: 50 + step);
            oc.ZeroGrad();
            loss.Call(x, labels).Backward();
            oc.Step();
            oe.ZeroGrad();
            Functional.CrossEntropy(me.Call(x), labels).Backward();
            oe.Step();
        }
        foreach (var (pc, pe) in mc.Parameters().Zip(me.Parameters())) Assert.Equal(F(pe), F(pc));
        Assert.Contains("joint backward of trace #1", loss.Explain());
    }
}
