using System.Diagnostics;
using Bench.Shared;
using Nabla.Distributed;
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
    /// the last layers' all-reduces run while backward computes the first layers'. Median of interleaved blocks.
    /// </summary>
    static void DdpStep(ProcessGroup world, bool quick)
    {
        int steps = quick ? 5 : 15, blocks = quick ? 3 : 7;
        Sequential Make() => new(new Linear(256, 1024, seed: 1), new Tanh(), new Linear(1024, 1024, seed: 2), new Tanh(), new Linear(1024, 10, seed: 3));
        var x = Tensor.Randn([64, 256], seed: 10 + world.Rank);
        var y = Tensor.Randn([64, 10], seed: 20 + world.Rank);
        var modes = new (string Name, Module Model)[]
        {
            ("alone", Make()),
            ("ddp", new DistributedDataParallel(Make(), world)),
            ("ddp_1MiB", new DistributedDataParallel(Make(), world, new DistributedDataParallelOptions { BucketCapMB = 1 })),
        };
        var optimizers = modes.Select(m => new Sgd(m.Model.Parameters(), learningRate: 0.01)).ToArray();
        double Block(int m, int n)
        {
            world.Barrier();   // every rank starts the block together (outside the timed steps)
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
            {
                optimizers[m].ZeroGrad();
                Functional.MseLoss(modes[m].Model.Call(x), y).Backward();
                optimizers[m].Step();
            }
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
        Console.Error.WriteLine($"{"mode",-10} {"ms/step",10} {"alone/mode",10}");
        for (int m = 0; m < modes.Length; m++)
        {
            double t = Median(times[m]);
            BenchCore.Report("ddp_step", "ms/step", t * 1e3, false, ("mode", modes[m].Name), ("ranks", world.Size),
                ("deterministic", world.Deterministic), ("checked", world.Checked), ("ratio_alone", Math.Round(alone / t, 3)));
            Console.Error.WriteLine($"{modes[m].Name,-10} {t * 1e3,10:F1} {alone / t,10:F3}");
        }
    }
}
