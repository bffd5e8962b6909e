using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.Graphs;

namespace Nabla.Tests.Optim;

/// <summary>
/// A whole training step with each optimizer added for issue 14, compiled with Graph.Compile: losses, parameters and
/// state bitwise those of the eager loop; one trace for every step (two where RAdam's or ASGD's branch changes).
/// </summary>
public class CompiledNewOptimizerTests
{
    static Module Net() => new Sequential(new Linear(4, 3, seed: 1), new Tanh(), new Linear(3, 1, seed: 2));

    static Optimizer Make(string name, Module net) => name switch
    {
        "adamax" => new Adamax(net.Parameters(), learningRate: 0.01, weightDecay: 0.05),
        "nadam" => new NAdam(net.Parameters(), learningRate: 0.01, weightDecay: 0.05, decoupledWeightDecay: true),
        "radam" => new RAdam(net.Parameters(), learningRate: 0.01, weightDecay: 0.05),
        "adadelta" => new Adadelta(net.Parameters(), weightDecay: 0.01),
        "asgd" => new ASGD(net.Parameters(), learningRate: 0.05, t0: 3),
        "rprop" => new Rprop(net.Parameters(), learningRate: 0.01),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("adamax", 1)]
    [InlineData("nadam", 1)]
    [InlineData("radam", 2)]      // ρ_t passes 5 at step 6: the branch's guard retraces once
    [InlineData("adadelta", 1)]
    [InlineData("asgd", 2)]       // μ leaves 1 after t0 + 1 steps: ax stops copying p, one retrace
    [InlineData("rprop", 1)]
    public void CompiledStepTrainsBitwiseLikeEager(string optimizer, int traces)
    {
        var (netE, netC) = (Net(), Net());
        var (optE, optC) = (Make(optimizer, netE), Make(optimizer, netC));
        var eager = CompiledTrainingStepTests.Step(netE, optE);
        var compiled = Graph.Compile(CompiledTrainingStepTests.Step(netC, optC));
        for (int i = 0; i < 8; i++)
        {
            var (x, y) = CompiledTrainingStepTests.Batch(i);
            Assert.Equal(eager(x, y).ToArray<float>(), compiled.Call(x, y).ToArray<float>());
        }
        // Rates, step counts and scalar state read through RateScalar are rebuilt by each replay, and host effects
        // advance NAdam's mu_product and ASGD's eta/mu: one trace serves every step but for a branch that changes.
        Assert.Equal(traces, compiled.TraceCount);
        var pe = netE.Parameters().ToList();
        var pc = netC.Parameters().ToList();
        for (int k = 0; k < pe.Count; k++) Assert.Equal(pe[k].ToArray<float>(), pc[k].ToArray<float>());
        Assert.NotEqual(Net().Parameters().First().ToArray<float>(), pc[0].ToArray<float>());
        var (se, sc) = (optE.StateDict(), optC.StateDict());
        foreach (var (index, buffers) in se.State)
            foreach (var (key, t) in buffers)
                Assert.Equal(t.To(DType.Float64).ToArray<double>(), sc.State[index][key].To(DType.Float64).ToArray<double>());
    }
}
