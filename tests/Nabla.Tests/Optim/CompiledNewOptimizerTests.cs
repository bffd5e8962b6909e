using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.Graphs;

namespace Nabla.Tests.Optim;

/// <summary>
/// A whole training step with each optimizer added for issue 14, compiled with Graph.Compile: losses, parameters and
/// state bitwise those of the eager loop; Adamax, Adadelta and Rprop with one trace, the optimizers that bake step-dependent numbers into the update retracing (correctly).
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
    [InlineData("adamax", true)]
    [InlineData("nadam", false)]
    [InlineData("radam", false)]
    [InlineData("adadelta", true)]
    [InlineData("asgd", false)]
    [InlineData("rprop", true)]
    public void CompiledStepTrainsBitwiseLikeEager(string optimizer, bool oneTrace)
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
        // Rates and step counts read through RateScalar are rebuilt by each replay: one trace serves every step. NAdam,
        // RAdam and ASGD still bake step-dependent numbers (mu_product, the rectification branch, eta) into the graph.
        Assert.Equal(oneTrace, compiled.TraceCount == 1);
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
