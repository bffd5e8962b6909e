using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// Gradient copy elision: a leaf's first gradient is the matmul's result itself instead of a copy of it, with eager
/// code's values bitwise over several steps; copies of data something else reads stay; its switch turns it off.
/// </summary>
public class GradientCopyTests
{
    static Func<Tensor, Tensor> StepOf(Variable w) => x =>
    {
        w.Grad = null;
        var loss = x.MatMul(w).Sum();
        loss.Backward();
        using (Autograd.NoGrad()) w.SubInPlace(w.Grad! * 0.5);
        return loss.Detach();
    };

    static Variable W() => new(Tensor.Randn([3, 2], seed: 1), name: "w");

    [Fact]
    public void TheFirstGradientIsTheMatMulsResultGolden()
    {
        var (wc, we) = (W(), W());
        var cf = Graph.Compile(StepOf(wc), PassText.Unfused);
        var eager = StepOf(we);
        for (int call = 0; call < 3; call++)
        {
            var x = Tensor.Randn([4, 3], seed: 10 + call);
            Assert.Equal(PassText.F(eager(x)), PassText.F(cf.Call(x)));
            Assert.Equal(PassText.F(we), PassText.F(wc));
            Assert.Equal(PassText.F(we.Grad!), PassText.F(wc.Grad!));
        }
        var x0 = Tensor.Randn([4, 3], seed: 0);
        // As traced: the gradient is a copy of the matmul's result (through an alias of the same layout).
        Assert.Equal("""
            graph StepOf (lambda)(%0 x: [4, 3] float32)
              %1 = capture Variable 'w' : [3, 2] float32
              %1.grad = null
              %2 = matmul(%0, %1) : [4, 2] float32 [unrecorded]
              %3 = sum(%2) : [] float32 [unrecorded]
              %4 = full() : [] float32
              %5 = reshape(%4) : [1, 1] float32 [no_grad]
              %6 = expand(%5) : [4, 2] float32 [no_grad]
              %7 = permute(%0) : [3, 4] float32 [no_grad]
              %8 = matmul(%7, %6) : [3, 2] float32 [no_grad]
              %9 = alias(%8, strides [2, 1], offset +0) : [3, 2] float32
              %10 = clone(%9) : [3, 2] float32 [no_grad]
              %1.grad = %10
              %11 = full() : [] float32 [no_grad]
              %12 = reshape(%11) : [1, 1] float32 [no_grad]
              %13 = expand(%12) : [3, 2] float32 [no_grad]
              %14 = mul(%10, %13) : [3, 2] float32 [no_grad]
              %15 = sub(%1, %14) : [3, 2] float32 [no_grad]
              assign(%1, %15)  writes %1 [no_grad]
              %16 = alias(%3, strides [], offset +0) : [] float32
              return %16

            """.Replace("\r", ""), PassText.Ops(cf.TracedGraphFor(x0)));
        // After: .grad is the matmul's result itself, and the update reads it.
        Assert.Equal("""
            graph StepOf (lambda)(%0 x: [4, 3] float32)
              %1 = capture Variable 'w' : [3, 2] float32
              %1.grad = null
              %2 = matmul(%0, %1) : [4, 2] float32 [unrecorded]
              %3 = sum(%2) : [] float32 [unrecorded]
              %4 = full() : [] float32
              %5 = reshape(%4) : [1, 1] float32 [no_grad]
              %6 = expand(%5) : [4, 2] float32 [no_grad]
              %7 = permute(%0) : [3, 4] float32 [no_grad]
              %8 = matmul(%7, %6) : [3, 2] float32 [no_grad]
              %1.grad = %8
              %11 = full() : [] float32 [no_grad]
              %12 = reshape(%11) : [1, 1] float32 [no_grad]
              %13 = expand(%12) : [3, 2] float32 [no_grad]
              %14 = mul(%8, %13) : [3, 2] float32 [no_grad]
              %15 = sub(%1, %14) : [3, 2] float32 [no_grad]
              assign(%1, %15)  writes %1 [no_grad]
              %16 = alias(%3, strides [], offset +0) : [] float32
              return %16

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x0)));
        Assert.Contains("grad-copies: dropped 1 gradient copy(ies)", cf.Explain());
    }

    [Fact]
    public void SwitchedOffTheCopyStays()
    {
        var wc = W();
        var cf = Graph.Compile(StepOf(wc), PassText.Without(GraphPasses.GradientCopies));
        var x = Tensor.Randn([4, 3], seed: 3);
        cf.Call(x);
        cf.Call(x);
        Assert.Contains("= clone(", cf.GraphFor(x));
        Assert.DoesNotContain("grad-copies", cf.Explain());
    }

    [Fact]
    public void ACopyOfDataSomethingElseReadsStays()
    {
        // The matmul's result is read again after the backward (y*2): the gradient must stay a copy of its own.
        var w = W();
        Tensor F(Tensor x)
        {
            var y = x.MatMul(w.Detach());
            var g = y.Clone();
            return g + y * 2;
        }
        var cf = Graph.Compile(F, PassText.Unfused);
        var x = Tensor.Randn([4, 3], seed: 4);
        Assert.Equal(PassText.F(F(x)), PassText.F(cf.Call(x)));
        Assert.Contains("= clone(", cf.GraphFor(x));
    }

    [Fact]
    public void TrainingStepsOfAnMlpEqualEagerBitwise()
    {
        Module Mlp() => new Sequential(new Linear(6, 8, seed: 1), new ReLU(), new Linear(8, 3, seed: 2));
        var (mc, me) = (Mlp(), Mlp());
        Func<Tensor, Tensor, Tensor> StepOf(Module m)
        {
            var opt = new Sgd(m.Parameters(), learningRate: 0.1, momentum: 0.9);
            return (x, t) => { opt.ZeroGrad(); var loss = Functional.CrossEntropy(m.Call(x), t); loss.Backward(); opt.Step(); return loss; };
        }
        var (eager, compiled) = (StepOf(me), Graph.Compile(StepOf(mc)));
        var labels = Tensor.FromArray(new long[] { 0, 2, 1, 1, 0 }, [5]);
        for (int step = 0; step < 5; step++)
        {
            var x = Tensor.Randn([5, 6], seed: 60 + step);
            Assert.Equal(PassText.F(eager(x, labels)), PassText.F(compiled.Call(x, labels)));
        }
        foreach (var (pc, pe) in mc.Parameters().Zip(me.Parameters()))
        {
            Assert.Equal(PassText.F(pe), PassText.F(pc));
            Assert.Equal(PassText.F(pe.Grad!), PassText.F(pc.Grad!));
        }
        Assert.Contains("grad-copies: dropped 2 gradient copy(ies)", compiled.Explain());
    }
}
