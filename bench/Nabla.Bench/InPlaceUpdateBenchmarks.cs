using System.Diagnostics;
using Nabla.Graphs;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

/// <summary>What the InPlaceUpdates pass changes, measured within one process (the machine is shared: ratios across processes drift).</summary>
internal static class InPlaceUpdateBenchmarks
{
    /// <summary>
    /// compiled_inplace_updates: the compiled_mlp_train_step step (784-512-256-10, batch 128, SGD momentum) compiled with
    /// every pass and with every pass but <see cref="GraphPasses.InPlaceUpdates"/>, from two identical models, timed call
    /// by call in alternation (median of each); and the same for SGD momentum's update alone on those parameters.
    /// </summary>
    public static void CompiledInPlaceUpdates(int threads, bool quick)
    {
        int reps = quick ? 11 : 41;
        Module Mlp() => new Sequential(
            new Linear(784, 512, seed: 1), new ReLU(), new Linear(512, 256, seed: 2), new ReLU(), new Linear(256, 10, seed: 3));
        var x = Harness.Uniform(13, [128, 784], 0, 1);
        var labels = Harness.Labels(14, 128);
        Func<Tensor, Tensor, Tensor> Step(Module model, Optimizer opt) => (input, target) =>
        {
            opt.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Call(input), target);
            loss.Backward();
            opt.Step();
            return loss;
        };
        Func<Tensor, Tensor, Tensor> Update(Module model, Optimizer opt) => (input, _) =>
        {
            opt.Step();   // the gradients stay from one backward pass made before
            return input;
        };
        foreach (var (what, make) in new (string, Func<Module, Optimizer, Func<Tensor, Tensor, Tensor>>)[] { ("train_step", Step), ("sgd_update", Update) })
        {
            var (on, off) = (Compiled(Mlp(), make, GraphPasses.All), Compiled(Mlp(), make, GraphPasses.All & ~GraphPasses.InPlaceUpdates));
            Harness.WarmUp(() => { on(x, labels); off(x, labels); }, minRuns: 5, minSeconds: quick ? 1 : 3);
            var (times, timesOff) = (new double[reps], new double[reps]);
            for (int r = 0; r < reps; r++)
            {
                times[r] = Time(() => on(x, labels));
                timesOff[r] = Time(() => off(x, labels));
            }
            foreach (var (mode, t) in new[] { ("compiled", times), ("compiled_without_inplace", timesOff) })
                Harness.Report("compiled_inplace_updates", "ms", Median(t) * 1e3, false,
                    ("step", what), ("mode", mode), ("optimizer", "sgd_momentum"), ("threads", threads), ("reps", reps));
        }

        Func<Tensor, Tensor, Tensor> Compiled(Module model, Func<Module, Optimizer, Func<Tensor, Tensor, Tensor>> make, GraphPasses passes)
        {
            var opt = new Sgd(model.Parameters(), learningRate: 1e-2, momentum: 0.9);
            Step(model, opt)(x, labels);   // gradients and momentum buffers exist before the trace
            var compiled = Graph.Compile(make(model, opt), new CompileOptions { Passes = passes });
            return (a, b) => compiled.Call(a, b);
        }
    }

    static double Time(Action body)
    {
        long start = Stopwatch.GetTimestamp();
        body();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    static double Median(double[] t)
    {
        var sorted = t.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
