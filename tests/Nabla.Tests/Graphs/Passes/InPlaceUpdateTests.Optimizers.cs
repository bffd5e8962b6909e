using Nabla.Backends.Cpu.Kernels.Codegen;
using Nabla.Graphs;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs.Passes;

public partial class InPlaceUpdateTests
{
    static Module Net() => new Sequential(new Linear(37, 29, seed: 1), new Tanh(), new Linear(29, 5, seed: 2));

    static Optimizer Make(string name, Module net) => name switch
    {
        "sgd-momentum" => new Sgd(net.Parameters(), learningRate: 0.05, momentum: 0.9),
        "sgd-nesterov" => new Sgd(net.Parameters(), learningRate: 0.05, momentum: 0.9, nesterov: true),
        "sgd-decay-dampening" => new Sgd(net.Parameters(), learningRate: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01),
        "rmsprop" => new RmsProp(net.Parameters(), learningRate: 0.01),
        "rmsprop-centered-momentum" => new RmsProp(net.Parameters(), learningRate: 0.01, momentum: 0.5, centered: true, weightDecay: 0.02),
        "adagrad" => new Adagrad(net.Parameters(), learningRate: 0.1, lrDecay: 0.05),
        "adam" => new Adam(net.Parameters(), learningRate: 0.01, weightDecay: 0.05),
        "adamw" => new AdamW(net.Parameters(), learningRate: 0.01, weightDecay: 0.1),
        _ => throw new ArgumentException(name),
    };

    static Func<Tensor, Tensor, Tensor> TrainStep(Module net, Optimizer opt) => (x, y) =>
    {
        opt.ZeroGrad();
        var loss = (net.Call(x) - y).Pow(2).Mean();
        loss.Backward();
        opt.Step();
        return loss;
    };

    public static TheoryData<string, bool> Optimizers()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in new[] { "sgd-momentum", "sgd-nesterov", "sgd-decay-dampening", "rmsprop", "rmsprop-centered-momentum", "adagrad", "adam", "adamw" })
            foreach (bool interpreter in new[] { false, true })
                data.Add(name, interpreter);
        return data;
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void CompiledOptimizerStepsAreEagersBits(string optimizer, bool interpreter)
    {
        var saved = FusedKernelMode.Kind;
        FusedKernelMode.Kind = interpreter ? FusedKernelKind.Interpreter : FusedKernelKind.Codegen;
        try
        {
            var (netE, netC) = (Net(), Net());
            var (optE, optC) = (Make(optimizer, netE), Make(optimizer, netC));
            var eager = TrainStep(netE, optE);
            var compiled = Graph.Compile(TrainStep(netC, optC));
            for (int i = 0; i < 6; i++)
            {
                var (x, y) = (Tensor.Randn([16, 37], seed: 100 + i), Tensor.Randn([16, 5], seed: 200 + i));
                Assert.Equal(Bits(eager(x, y)), Bits(compiled.Call(x, y)));
                foreach (var (pe, pc) in netE.Parameters().Zip(netC.Parameters())) Assert.Equal(Bits(pe), Bits(pc));
                var (se, sc) = (optE.StateDict(), optC.StateDict());
                foreach (var (index, buffers) in se.State)
                    foreach (var (key, t) in buffers.Where(b => b.Key != "step")) Assert.Equal(Bits(t), Bits(sc.State[index][key]));
            }
            if (!optimizer.StartsWith("adam"))
            {
                // Every parameter's update, state included, is one fused op (the first step's state is made in trace 1).
                var log = compiled.Explain();
                Assert.Contains("inplace:", log);
                Assert.Equal(4, log.Split('\n').Last(l => l.Contains("fuse:")).Split("outputs)").Length - 1);
            }
        }
        finally { FusedKernelMode.Kind = saved; }
    }
}
