using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs;

/// <summary>
/// An optimizer's C# state (step counts, learning rates, which buffers exist) is read while tracing and
/// baked into the graph; a guard on it makes every replay with other values retrace (or run eagerly past
/// the limit), so a compiled training step never uses a stale step count or rate.
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
    public void CompiledAdamStepNeverUsesAStaleStepCount()
    {
        // Adam's bias corrections use the step count, a C# number: a graph traced at step 1 must not be
        // replayed at step 2. Every call retraces, then past the limit runs eagerly: same parameters as eager.
        var (netC, netE) = (Net(), Net());
        var optC = new Adam(netC.Parameters(), learningRate: 0.01);
        var optE = new Adam(netE.Parameters(), learningRate: 0.01);
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
        Assert.Contains("Adam state: group 0 parameter 0 step=0 buffers= -> group 0 parameter 0 step=1 buffers=exp_avg,exp_avg_sq", explained);
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
        // The rate halves twice in six epochs: each new rate is one retrace, each repeated one a replay.
        Assert.Contains("group 0 lr=0.1 -> group 0 lr=0.05", compiled.Explain());
        Assert.True(compiled.TraceCount <= 4, compiled.Explain());
    }
}
