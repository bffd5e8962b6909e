using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A whole training step (ZeroGrad, forward, Backward, Step) compiled: the backward pass is recorded op by
/// op from the VJP rules, .Grad reads, assignments and resets are ops too, so the compiled loop trains to
/// bitwise the parameters of the eager loop.
/// </summary>
public class CompiledTrainingStepTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static (Module Net, Sgd Opt) Model()
    {
        var net = new Sequential(new Linear(4, 3, seed: 1), new Tanh(), new Linear(3, 1, seed: 2));
        return (net, new Sgd(net.Parameters(), learningRate: 0.1));
    }

    internal static Func<Tensor, Tensor, Tensor> Step(Module net, Optimizer opt) => (x, y) =>
    {
        opt.ZeroGrad();
        var loss = (net.Call(x) - y).Pow(2).Mean();
        loss.Backward();
        opt.Step();
        return loss;
    };

    internal static (Tensor X, Tensor Y) Batch(int i) => (Tensor.Randn([8, 4], seed: 100 + i), Tensor.Randn([8, 1], seed: 200 + i));

    [Fact]
    public void CompiledTrainingStepTrainsToTheEagerParametersOverFiveSteps()
    {
        var (netC, optC) = Model();
        var (netE, optE) = Model();
        var compiled = Graph.Compile(Step(netC, optC));
        var eager = Step(netE, optE);
        for (int i = 0; i < 5; i++)
        {
            var (x, y) = Batch(i);
            Assert.Equal(F(eager(x, y)), F(compiled.Call(x, y)));
        }
        var pc = netC.Parameters().ToList();
        var pe = netE.Parameters().ToList();
        for (int k = 0; k < pc.Count; k++) Assert.Equal(F(pe[k]), F(pc[k]));
        // One graph: ZeroGrad sets every .Grad to null without reading it, so the first step (grads null) and
        // the later ones (grads set) run the same code.
        Assert.Equal(1, compiled.TraceCount);
        // And training did move them: the first layer's weight is not its initial value.
        Assert.NotEqual(F(Model().Net.Parameters().First()), F(pc[0]));
    }

    [Fact]
    public void GraphOfATrainingStepShowsBackwardGradReadsAndResets()
    {
        var (net, opt) = Model();
        // Epilogue fusion off: it would make the forward's matmul, bias and tanh one matmul_epilogue op.
        var compiled = Graph.Compile(Step(net, opt), new CompileOptions { Passes = GraphPasses.All & ~GraphPasses.Epilogues });
        var (x, y) = Batch(0);
        compiled.Call(x, y);
        var text = compiled.GraphFor(x, y);
        // The backward pass is in the graph op by op, from the VJP rules (tanh's, matmul's), under no_grad,
        // and each parameter's first gradient is a copy assigned to .grad.
        Assert.Matches(@"%\d+ = tanh_backward\(%\d+, %11\) : \[8, 3\] float32 \[no_grad\]", text);
        Assert.Matches(@"%2\.grad = %\d+", text);
        Assert.DoesNotContain("Backward(", text);
        // The forward is consumed by that backward only: replays record no node for it.
        Assert.Matches(@"%\d+ = tanh\(%10\) : \[8, 3\] float32 \[unrecorded\]", text);
        Assert.Matches(@"%\d+\.grad = null", text);                 // ZeroGrad assigns null whether or not a grad was set
        Assert.DoesNotContain("guard", text);                        // the grads the backward set are known to Step: no guard
        compiled.Call(x, y);                                         // grads exist now: ZeroGrad resets them, no retrace
        compiled.Call(x, y);
        Assert.Equal(1, compiled.TraceCount);
    }

    [Fact]
    public void AutogradGradInsideACompiledFunctionIsReplayed()
    {
        // g(x) = d/dx sum(x^3) = 3x^2, computed inside the compiled function.
        var cf = Graph.Compile((Tensor x) =>
        {
            var leaf = x.Detach();
            leaf.RequiresGrad = true;
            return Autograd.Grad((leaf * leaf * leaf).Sum(), leaf)!;
        });
        Assert.Equal(new[] { 3.0, 12.0 }, cf.Call(Tensor.FromArray(new double[] { 1, 2 }, [2])).ToArray<double>());
        Assert.Equal(new[] { 27.0, 0.75 }, cf.Call(Tensor.FromArray(new double[] { -3, 0.5 }, [2])).ToArray<double>());
        Assert.Equal(1, cf.TraceCount);
    }
}
