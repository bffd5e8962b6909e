using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs;

/// <summary>
/// An optimizer's C# state that a compiled step bakes into its graph (AMSGrad's step counts and rate,
/// options, which buffers exist) is guarded: a replay with other values retraces (or runs eagerly past the
/// limit), so a compiled training step never uses a stale value. What is rebuilt per call (the rate and step
/// count of the other updates, see CompiledOptimizerStepTests) is not guarded.
/// </summary>
public class CompiledOptimizerStateTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static Module Net() => new Sequential(new Linear(4, 3, seed: 1), new Tanh(), new Linear(3, 1, seed: 2));

    // The training step and batches of the plain SGD tests.
    static Func<Tensor, Tensor, Tensor> Step(Module net, Optimizer opt) => CompiledTrainingStepTests.Step(net, opt);

    static (Tensor X, Tensor Y) Batch(int i) => CompiledTrainingStepTests.Batch(i);

    static void AssertSameParameters(Module a, Module b)
    {
        var pa = a.Parameters().ToList();
        var pb = b.Parameters().ToList();
        for (int k = 0; k < pa.Count; k++) Assert.Equal(F(pa[k]), F(pb[k]));
    }

    [Fact]
    public void CompiledAmsgradStepNeverUsesAStaleStepCount()
    {
        // AMSGrad's update is a tensor expression whose bias corrections bake in the step count, a C# number:
        // a graph traced at step 1 must not be replayed at step 2. Every call retraces, then past the limit
        // runs eagerly: same parameters as eager.
        var (netC, netE) = (Net(), Net());
        var optC = new Adam(netC.Parameters(), learningRate: 0.01, amsgrad: true);
        var optE = new Adam(netE.Parameters(), learningRate: 0.01, amsgrad: true);
        var compiled = Graph.Compile(Step(netC, optC), new CompileOptions { RetraceLimit = 3 });
        var eager = Step(netE, optE);
        var saved = Console.Error;
        Console.SetError(new StringWriter());
        try
        {
            for (int i = 0; i < 6; i++)
            {
                var (x, y) = Batch(i);
                Assert.Equal(F(eager(x, y)), F(compiled.Call(x, y)));
            }
        }
        finally { Console.SetError(saved); }
        AssertSameParameters(netE, netC);
        var explained = compiled.Explain();
        Assert.Matches(@"Adam state: group 0 parameter 0 state #(\d+) step=0 buffers=exp_avg,exp_avg_sq,max_exp_avg_sq -> " +
            @"group 0 parameter 0 state #\1 step=1 buffers=exp_avg,exp_avg_sq,max_exp_avg_sq", explained);
        Assert.Contains("past the retrace limit (3): ran eagerly", explained);
    }

    [Fact]
    public void CompiledSgdStepFollowsALearningRateChangedBetweenCalls()
    {
        var (netC, netE) = (Net(), Net());
        var optC = new Sgd(netC.Parameters(), learningRate: 0.1);
        var optE = new Sgd(netE.Parameters(), learningRate: 0.1);
        var schedC = new StepLR(optC, stepSize: 2, gamma: 0.5);
        var schedE = new StepLR(optE, stepSize: 2, gamma: 0.5);
        var compiled = Graph.Compile(Step(netC, optC));
        var eager = Step(netE, optE);
        for (int i = 0; i < 6; i++)
        {
            var (x, y) = Batch(i);
            Assert.Equal(F(eager(x, y)), F(compiled.Call(x, y)));
            schedC.Step();
            schedE.Step();
        }
        AssertSameParameters(netE, netC);
        // The rate halves every two epochs (steps at 0.1, 0.05 and 0.025); each replay builds its -lr scalar
        // from the rate of that moment, so nothing retraces.
        Assert.Equal(0.0125, optC.LearningRate, 15);
        Assert.Equal(1, compiled.TraceCount);
        Assert.DoesNotContain("lr=", compiled.Explain());
    }
}
