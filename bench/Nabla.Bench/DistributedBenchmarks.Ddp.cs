using System.Diagnostics;
using Bench.Shared;
using Nabla.Distributed;
using Nabla.Graphs;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

internal static partial class DistributedBenchmarks
{
    /// <summary>
    /// ddp_step: one SGD step of a 256-1024-1024-10 MLP (1.32 M parameters, 5.3 MB of float32 gradients) on 64 rows per
    /// rank, one kernel thread per rank. "alone": each rank trains its own copy with no communication (the ranks still
    /// share the machine, so this is the step time DDP can at best reach); "ddp": DistributedDataParallel with one
    /// 25 MiB bucket (the all-reduce starts when backward has made every gradient); "ddp_1MiB": 1 MiB buckets, so
    /// the last layers' all-reduces run while backward computes the first layers'; "alone_compiled" and "ddp_compiled":
    /// the same steps compiled with Graph.Compile (inside a graph each bucket's all-reduce is one op after the traced
    /// backward, no overlap). Median of interleaved blocks.
    /// </summary>
    static void DdpStep(ProcessGroup world, bool quick)
    {
        int steps = quick ? 5 : 15, blocks = quick ? 3 : 7;
        Sequential Make() => new(new Linear(256, 1024, seed: 1), new Tanh(), new Linear(1024, 1024, seed: 2), new Tanh(), new Linear(1024, 10, seed: 3));
        var x = Tensor.Randn([64, 256], seed: 10 + world.Rank);
        var y = Tensor.Randn([64, 10], seed: 20 + world.Rank);
        var modes = new (string Name, Module Model, bool Compiled)[]
        {
            ("alone", Make(), false),
            ("ddp", new DistributedDataParallel(Make(), world), false),
            ("ddp_1MiB", new DistributedDataParallel(Make(), world, new DistributedDataParallelOptions { BucketCapMB = 1 }), false),
            ("alone_compiled", Make(), true),
            ("ddp_compiled", new DistributedDataParallel(Make(), world), true),
        };
        var stepOf = modes.Select(m =>
        {
            var opt = new Sgd(m.Model.Parameters(), learningRate: 0.01);
            Func<Tensor, Tensor, Tensor> step = (a, b) =>
            {
                opt.ZeroGrad();
                var loss = Functional.MseLoss(m.Model.Call(a), b);
                loss.Backward();
                opt.Step();
                return loss;
            };
            return m.Compiled ? Graph.Compile(step).Call : step;
        }).ToArray();
        double Block(int m, int n)
        {
            Settle(world);   // every rank starts the block together, the last block's garbage collected (outside the timed steps)
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) stepOf[m](x, y);
            return clock.Elapsed.TotalSeconds / n;
        }
        for (int m = 0; m < modes.Length; m++) Block(m, 3);   // warm-up
        var times = modes.Select(_ => new double[blocks]).ToArray();
        for (int b = 0; b < blocks; b++)
            for (int m = 0; m < modes.Length; m++)
                times[m][b] = Block(m, steps);
        double alone = Median(times[0]);
        if (!world.IsMain) return;
        Console.Error.WriteLine($"# ddp_step: {world.Size} ranks, MLP 256-1024-1024-10 SGD, 64 rows per rank, 1 thread per rank, median of {blocks} blocks of {steps} steps");
        Console.Error.WriteLine($"{"mode",-14} {"ms/step",10} {"alone/mode",10}");
        for (int m = 0; m < modes.Length; m++)
        {
            double t = Median(times[m]);
            BenchCore.Report("ddp_step", "ms/step", t * 1e3, false, ("mode", modes[m].Name), ("ranks", world.Size),
                ("deterministic", world.Deterministic), ("checked", world.Checked), ("ratio_alone", Math.Round(alone / t, 3)));
            Console.Error.WriteLine($"{modes[m].Name,-14} {t * 1e3,10:F1} {alone / t,10:F3}");
        }
    }
}
