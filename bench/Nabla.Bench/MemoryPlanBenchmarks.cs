using System.Globalization;
using Bench.Shared;
using Nabla.Backends.Cpu;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

/// <summary>
/// What a compiled function's memory plan saves: the managed bytes one steady-state call allocates
/// (<c>compiled_alloc</c>), eager and compiled, and the peak memory of a training loop each way
/// (<c>compiled_peak_memory</c>, one child process per figure so that neither sees the other's heap).
/// </summary>
internal static class MemoryPlanBenchmarks
{
    /// <summary>The workloads: a name and a maker of (eager call, compiled call) on the same data, each from its own model.</summary>
    static readonly (string Name, Func<(Action Eager, Action Compiled)> Make)[] Workloads =
    [
        ("chain", Chain),
        ("mlp_inference", MlpInference),
        ("mlp_train_sgd", () => MlpTrain(m => new Sgd(m.Parameters(), learningRate: 1e-2, momentum: 0.9))),
        ("mlp_train_adam", () => MlpTrain(m => new Adam(m.Parameters(), learningRate: 1e-3))),
        ("cnn_train", CnnTrain),
    ];

    /// <summary>Bytes per steady-state call (GC.GetAllocatedBytesForCurrentThread over 20 calls after warm-up), eager and compiled.</summary>
    public static void CompiledAlloc(int threads, bool quick)
    {
        if (threads != 1) return;   // bytes do not depend on threads (the workers allocate nothing per call)
        foreach (var (name, make) in Workloads)
        {
            var (eager, compiled) = make();
            foreach (var (mode, call) in new[] { ("eager", eager), ("compiled", compiled) })
            {
                for (int k = 0; k < 3; k++) call();
                const int calls = 20;
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int k = 0; k < calls; k++) call();
                double perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)calls;
                Harness.Report("compiled_alloc", "bytes/call", perCall, false, ("workload", name), ("mode", mode), ("threads", 1));
            }
        }
    }

    /// <summary>Peak RSS of a child process that runs a training step 40 times (20 with --quick), eager or compiled.</summary>
    public static void CompiledPeakMemory(int threads, bool quick)
    {
        if (threads != 1) return;
        int steps = quick ? 20 : 40;
        foreach (var workload in new[] { "mlp_train_adam", "cnn_train" })
            foreach (var mode in new[] { "eager", "compiled" })
                Console.Write(BenchCore.Launch(typeof(MemoryPlanBenchmarks).Assembly, "--peak-memory-child", workload, mode, steps.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>The child of <see cref="CompiledPeakMemory"/>: null unless <paramref name="args"/> asks for it.</summary>
    public static int? RunChild(string[] args)
    {
        if (args.Length < 4 || args[0] != "--peak-memory-child") return null;
        CpuParallel.Threads = 1;
        var (eager, compiled) = Workloads.First(w => w.Name == args[1]).Make();
        var step = args[2] == "compiled" ? compiled : eager;
        int steps = int.Parse(args[3], CultureInfo.InvariantCulture);
        for (int s = 0; s < steps; s++) step();
        Harness.Report("compiled_peak_memory", "MiB", BenchCore.ProcStatusKiB("VmHWM") / 1024.0, false,
            ("workload", args[1]), ("mode", args[2]), ("steps", steps), ("threads", 1));
        return 0;
    }

    /// <summary>The 100-op chain of compiled_overhead (16 float32 elements), no grad.</summary>
    static (Action, Action) Chain()
    {
        var b = Harness.Uniform(4, [16], requiresGrad: true);
        var c = Harness.Uniform(5, [16], 0.5f, 1.5f, requiresGrad: true);
        var x = Harness.Uniform(3, [16]);
        Tensor F(Tensor y)
        {
            for (int i = 0; i < 100; i++)
                y = (i % 3) switch { 0 => y + b, 1 => y * c, _ => y.Tanh() };
            return y;
        }
        var compiled = Graph.Compile(F);
        return (() => { using (Autograd.NoGrad()) F(x); }, () => { using (Autograd.NoGrad()) compiled.Call(x); });
    }

    static Module Mlp() => new Sequential(
        new Linear(784, 512, seed: 1), new ReLU(), new Linear(512, 256, seed: 2), new ReLU(), new Linear(256, 10, seed: 3));

    /// <summary>The MLP of mlp_train_step (784-512-256-10) on a batch of 128, no grad, softmax of the logits.</summary>
    static (Action, Action) MlpInference()
    {
        var model = Mlp();
        var x = Harness.Uniform(13, [128, 784], 0, 1);
        Tensor F(Tensor input) => model.Call(input).Softmax(-1);
        var compiled = Graph.Compile(F);
        return (() => { using (Autograd.NoGrad()) F(x); }, () => { using (Autograd.NoGrad()) compiled.Call(x); });
    }

    static (Action, Action) MlpTrain(Func<Module, Optimizer> optimizer)
    {
        var x = Harness.Uniform(13, [128, 784], 0, 1);
        var labels = Harness.Labels(14, 128);
        return Steps(Mlp, optimizer, x, labels);
    }

    static (Action, Action) CnnTrain()
    {
        Module Cnn() => new Sequential(
            new Conv2d(1, 32, 3, padding: 1, seed: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1, seed: 2), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 10, seed: 3));
        return Steps(Cnn, m => new Adam(m.Parameters(), learningRate: 1e-3), Harness.Uniform(11, [64, 1, 28, 28], 0, 1), Harness.Labels(12, 64));
    }

    /// <summary>ZeroGrad, forward, cross-entropy, Backward, Step, eagerly and compiled, each on its own model.</summary>
    static (Action, Action) Steps(Func<Module> model, Func<Module, Optimizer> optimizer, Tensor x, Tensor labels)
    {
        Func<Tensor, Tensor, Tensor> StepOf(Module m)
        {
            var opt = optimizer(m);
            return (input, target) =>
            {
                opt.ZeroGrad();
                var loss = Functional.CrossEntropy(m.Call(input), target);
                loss.Backward();
                opt.Step();
                return loss;
            };
        }
        var eager = StepOf(model());
        var compiled = Graph.Compile(StepOf(model()));
        return (() => eager(x, labels), () => compiled.Call(x, labels));
    }
}
