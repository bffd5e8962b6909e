using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A whole training step (ZeroGrad, forward, Backward, Step) compiled: the backward pass is one op of the
/// graph that runs the engine again on each call, .Grad reads and resets are ops too, so the compiled
/// loop trains to bitwise the parameters of the eager loop.
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
        var compiled = Graph.Compile(Step(net, opt));
        var (x, y) = Batch(0);
        compiled.Call(x, y);
        var text = compiled.GraphFor(x, y);
        Assert.Contains("Backward(roots [%", text);
        Assert.Contains("accumulates into .grad", text);
        Assert.Matches(@"%\d+ = %\d+\.grad : \[3, 4\] float32", text);
        Assert.Matches(@"%\d+\.grad = null", text);                 // ZeroGrad assigns null whether or not a grad was set
        Assert.Matches(@"guard %\d+\.grad present", text);          // Step branches on the grads the backward made
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
