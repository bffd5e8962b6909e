using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

/// <summary>
/// Graph mode next to eager code, in one run: the same work called eagerly and through a compiled
/// function (Graph.Compile). Until the compiler of issue 13, a replay still dispatches every op, so these
/// rows show what replaying a recorded graph saves (or costs) by itself.
/// </summary>
internal static class GraphBenchmarks
{
    /// <summary>
    /// The overhead chain (100 ops on 16 float32 elements: add, mul, tanh) per call, eager and compiled,
    /// with and without grad mode; the managed bytes a steady-state compiled call allocates; and the time
    /// of one trace next to one eager call.
    /// </summary>
    public static void CompiledOverhead(int threads, bool quick)
    {
        const int ops = 100;
        int reps = quick ? 9 : 21;
        var b = Harness.Uniform(4, [16], requiresGrad: true);
        var c = Harness.Uniform(5, [16], 0.5f, 1.5f, requiresGrad: true);
        var x = Harness.Uniform(3, [16]);
        Tensor Chain(Tensor y)
        {
            for (int i = 0; i < ops; i++)
                y = (i % 3) switch { 0 => y + b, 1 => y * c, _ => y.Tanh() };
            return y;
        }
        var compiled = Graph.Compile(Chain);
        Harness.WarmUp(() => { Chain(x); compiled.Call(x); }, minSeconds: 3);
        // 100 calls per rep: a rep of 10 timed ~30 us, where the first call after the rep's collection (~2 us, eager
        // too) and one preemption moved the median.
        const int inner = 100;
        void Report(string mode, string unit, double value) =>
            Harness.Report("compiled_overhead", unit, value, false,
                ("mode", mode), ("elements", 16), ("dtype", "float32"), ("ops", ops), ("threads", threads), ("reps", reps));

        foreach (bool grad in new[] { true, false })
        {
            string g = grad ? "grad" : "no_grad";
            IDisposable Scope() => Autograd.SetGradEnabled(grad);
            using (Scope()) compiled.Call(x);   // the trace for this grad mode, outside the timing
            double eager = Harness.Median(reps, () => { using var s = Scope(); for (int k = 0; k < inner; k++) Chain(x); });
            double replay = Harness.Median(reps, () => { using var s = Scope(); for (int k = 0; k < inner; k++) compiled.Call(x); });
            Report($"eager_{g}", "us/call", eager / inner * 1e6);
            Report($"compiled_{g}", "us/call", replay / inner * 1e6);
            Report($"ratio_{g}", "compiled/eager", replay / eager);
        }

        using (Autograd.NoGrad())
        {
            double BytesPerCall(Action call)
            {
                call();
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int k = 0; k < 100; k++) call();
                return (GC.GetAllocatedBytesForCurrentThread() - before) / 100.0;
            }
            Report("alloc_eager_no_grad", "bytes/call", BytesPerCall(() => Chain(x)));
            Report("alloc_no_grad", "bytes/call", BytesPerCall(() => compiled.Call(x)));
        }

        // One trace of the 100-op function (a fresh compiled function each time) against one eager call.
        double trace = Harness.Median(reps, () => Graph.Compile(Chain).Call(x));
        double call = Harness.Median(reps, () => { for (int k = 0; k < inner; k++) Chain(x); }) / inner;
        Report("trace", "ms", trace * 1e3);
        Report("trace_vs_eager_call", "ratio", trace / call);
    }

    /// <summary>The MLP training step of mlp_train_step (784-512-256-10, batch 128), with SGD, eager and compiled.</summary>
    public static void CompiledMlpTrainStep(int threads, bool quick)
    {
        Module Mlp() => new Sequential(
            new Linear(784, 512, seed: 1), new ReLU(), new Linear(512, 256, seed: 2), new ReLU(), new Linear(256, 10, seed: 3));
        var x = Harness.Uniform(13, [128, 784], 0, 1);
        var labels = Harness.Labels(14, 128);
        Func<Tensor, Tensor, Tensor> StepOf(Module model) => TrainStep(model, new Sgd(model.Parameters(), learningRate: 1e-2, momentum: 0.9));
        CompareSteps("compiled_mlp_train_step", StepOf(Mlp()), StepOf(Mlp()), StepOf(Mlp()), x, labels, "sgd_momentum", threads, quick);
    }

    /// <summary>ZeroGrad, forward, cross-entropy, Backward, Step: the step the training rows time.</summary>
    static Func<Tensor, Tensor, Tensor> TrainStep(Module model, Optimizer opt) => (input, target) =>
    {
        opt.ZeroGrad();
        var loss = Functional.CrossEntropy(model.Call(input), target);
        loss.Backward();
        opt.Step();
        return loss;
    };

    /// <summary>
    /// One training step eagerly, compiled, and compiled with a dynamic batch dim as the main job compiles it (each from
    /// its own identical model), in one run.
    /// </summary>
    static void CompareSteps(string name, Func<Tensor, Tensor, Tensor> eager, Func<Tensor, Tensor, Tensor> toCompile,
        Func<Tensor, Tensor, Tensor> toCompileDynamic, Tensor x, Tensor labels, string optimizer, int threads, bool quick)
    {
        var compiled = Graph.Compile(toCompile);
        var dynamic = Graph.Compile(toCompileDynamic, new CompileOptions
        {
            InputSignature = [new TensorSpec([null, .. x.Shape.ToArray()[1..].Select(d => (int?)d)]), new TensorSpec([null])],
        });
        int reps = quick ? 5 : 21;
        Harness.WarmUp(() => { eager(x, labels); compiled.Call(x, labels); dynamic.Call(x, labels); }, minRuns: 5, minSeconds: quick ? 1 : 3);
        foreach (var (mode, step) in new (string, Func<Tensor, Tensor, Tensor>)[]
            { ("eager", eager), ("compiled", (a, t) => compiled.Call(a, t)), ("compiled_dynamic_batch", (a, t) => dynamic.Call(a, t)) })
            Harness.Report(name, "ms", Harness.Median(reps, () => step(x, labels)) * 1e3, false,
                ("mode", mode), ("batch", x.Shape[0]), ("dtype", "float32"), ("optimizer", optimizer), ("threads", threads), ("reps", reps));
        Console.Error.WriteLine($"# {name}: {compiled.TraceCount} trace(s), with a dynamic batch {dynamic.TraceCount}");
    }

    /// <summary>
    /// The cnn_train_step CNN (two conv + max-pool blocks, Linear(3136, 10), batch 64) with Adam, eagerly and
    /// as one compiled step (Adam's rate and step count are read again on each replay: one trace).
    /// </summary>
    public static void CompiledCnnTrainStep(int threads, bool quick)
    {
        Module Cnn() => new Sequential(
            new Conv2d(1, 32, 3, padding: 1, seed: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1, seed: 2), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 10, seed: 3));
        var x = Harness.Uniform(11, [64, 1, 28, 28], 0, 1);
        var labels = Harness.Labels(12, 64);
        Func<Tensor, Tensor, Tensor> StepOf(Module model) => TrainStep(model, new Adam(model.Parameters(), learningRate: 1e-3));
        CompareSteps("compiled_cnn_train_step", StepOf(Cnn()), StepOf(Cnn()), StepOf(Cnn()), x, labels, "adam", threads, quick);
    }
}
