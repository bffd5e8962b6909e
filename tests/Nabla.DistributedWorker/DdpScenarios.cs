using System.Globalization;
using Nabla.Distributed;
using Nabla.NN;
using static Nabla.DistributedWorker.DdpTraining;

namespace Nabla.DistributedWorker;

/// <summary>
/// Data-parallel training (DistributedDataParallel, MultiWorkerMirroredStrategy) of DdpTraining's MLP: each rank prints
/// its parameters after training as "rank R: param I [shape] v v v", which the tests compare with a single-process
/// reference. Each rank initializes the model from its own seed (100 + 7·rank): only rank 0's values (seed 100, as
/// the reference) may survive the broadcast.
/// </summary>
internal static class DdpScenarios
{
    public static readonly (string, Func<string[], int>)[] List =
    [
        ("ddp-train", Train),
        ("strategy-train", StrategyTrain),
        ("ddp-mismatch", Mismatch),
        ("ddp-unused", Unused),
        ("ddp-buffers", Buffers),
    ];

    // args: optimizer (sgd|adam), steps, det|fast, micro-batches per step (>1: all but the last under NoSync), bucket cap MiB.
    static int Train(string[] args)
    {
        string optimizer = args[0];
        int steps = int.Parse(args[1], CultureInfo.InvariantCulture), micro = int.Parse(args[3], CultureInfo.InvariantCulture);
        using var world = Init(args[2]);
        var ddp = new DistributedDataParallel(Model(100 + 7 * world.Rank), options: new DistributedDataParallelOptions
        {
            BucketCapMB = double.Parse(args[4], CultureInfo.InvariantCulture),
        });
        Say($"rank {world.Rank}: buckets {ddp.BucketCount}");
        var opt = Optimizer(optimizer, ddp.Parameters());
        for (int step = 0; step < steps; step++)
        {
            var shard = Part(Batch(step), world.Rank, world.Size);
            opt.ZeroGrad();
            for (int m = 0; m < micro - 1; m++)
                using (ddp.NoSync())
                    Loss(ddp, Part(shard, m, micro)).Backward();
            Loss(ddp, Part(shard, micro - 1, micro)).Backward();
            opt.Step();
        }
        PrintParameters(world, "param", ddp.Module.Parameters());
        Say($"rank {world.Rank}: keys {string.Join(",", ddp.StateDict().Keys)}");
        return 0;
    }

    // TF style. args: optimizer, steps, det|fast, broadcast (BroadcastVariables first) | first-seen (ApplyGradients copies rank 0's).
    static int StrategyTrain(string[] args)
    {
        string optimizer = args[0];
        int steps = int.Parse(args[1], CultureInfo.InvariantCulture);
        using var world = Init(args[2]);
        var strategy = new MultiWorkerMirroredStrategy();
        var model = Model(100 + 7 * world.Rank);
        if (args[3] == "broadcast") strategy.BroadcastVariables(model);
        var variables = model.TrainableVariables;
        var opt = Optimizer(optimizer, null);
        double meanLoss = 0;
        using (strategy.Scope())
            for (int step = 0; step < steps; step++)
            {
                var shard = Part(Batch(step), world.Rank, world.Size);
                using var tape = new GradientTape();
                var loss = Loss(model, shard);
                opt.ApplyGradients(tape.Gradient(loss, variables).Zip(variables));
                meanLoss = strategy.Reduce(ReduceOp.Average, loss).Item<float>();
            }
        Say($"rank {world.Rank}: replicas {strategy.NumReplicasInSync}");
        Say($"rank {world.Rank}: last-loss [] {meanLoss.ToString("R", CultureInfo.InvariantCulture)}");
        PrintParameters(world, "param", variables);
        return 0;
    }

    // Rank 1 builds one more layer, then a layer of another width: every rank must throw, naming the difference.
    static int Mismatch(string[] args)
    {
        using var world = Init("fast");
        Module extra = world.Rank == 1 ? new Sequential(new Linear(2, 2, seed: 1), new Linear(2, 2, seed: 2)) : new Sequential(new Linear(2, 2, seed: 1));
        Module wide = new Sequential(new Linear(2, 2, seed: 1), new Linear(2, world.Rank == 1 ? 3 : 2, seed: 2));
        foreach (var (name, model) in new[] { ("count", extra), ("shape", wide) })
            try
            {
                _ = new DistributedDataParallel(model);
                Say($"rank {world.Rank}: {name} no error");
            }
            catch (DistributedException e)
            {
                Say($"rank {world.Rank}: {name} {e.Message}");
            }
        return 0;
    }

    // The MLP's second layer is used by rank 0 only; a third layer (Linear(3, 2)) by nobody.
    // Without FindUnusedParameters the ranks that skip a layer throw from Backward; with it, gradients are averaged.
    static int Unused(string[] args)
    {
        using var world = Init("det");
        var shard = Part(Batch(0), world.Rank, world.Size);
        foreach (bool find in new[] { false, true })
        {
            var model = new Sequential(new Linear(In, Hidden, seed: 100), new Linear(Hidden, Out, seed: 101), new Linear(Out, 2, seed: 102));
            var ddp = new DistributedDataParallel(model, options: new DistributedDataParallelOptions { FindUnusedParameters = find });
            var hidden = ddp.Run(m => ((Sequential)m)[0].Call(shard.X));
            var output = world.Rank == 0 ? ((Sequential)ddp.Module)[1].Call(hidden) : hidden.Narrow(1, 0, Out);
            var loss = Functional.MseLoss(output, shard.Y);
            try
            {
                loss.Backward();
                var grads = model.Parameters().Select(p => p.Grad is null ? "null" : Values(p.Grad));
                Say($"rank {world.Rank}: grads-{find} {string.Join(" | ", grads)}");
            }
            catch (DistributedException e)
            {
                Say($"rank {world.Rank}: error-{find} {e.Message}");
            }
        }
        // Rank 0's own gradient of layer 1, without DDP, for the test to halve.
        if (world.Rank == 0)
        {
            var plain = new Sequential(new Linear(In, Hidden, seed: 100), new Linear(Hidden, Out, seed: 101));
            Functional.MseLoss(plain.Call(shard.X), shard.Y).Backward();
            Say($"rank 0: local-layer1 {Values(((Linear)plain[1]).Weight.Grad!)}");
        }
        return 0;
    }

    // Rank r's BatchNorm starts with running mean r + 1: wrapping copies rank 0's, a training forward updates each rank's
    // from its own data, and the next training forward starts from rank 0's again.
    static int Buffers(string[] args)
    {
        using var world = Init("fast");
        var norm = new BatchNorm1d(2);
        using (Autograd.NoGrad()) norm.RunningMean!.CopyFrom(Tensor.Full([2], world.Rank + 1.0));
        var ddp = new DistributedDataParallel(new Sequential(new Linear(2, 2, seed: 1), norm));
        Say($"rank {world.Rank}: wrapped [2] {Values(norm.RunningMean!)}");
        ddp.Call((Tensor.Arange(0, 8, 1).Reshape(4, 2) * (world.Rank + 1)).To(DType.Float32));
        Say($"rank {world.Rank}: after-forward [2] {Values(norm.RunningMean!)}");
        Say($"rank {world.Rank}: after-forward-var [2] {Values(norm.RunningVar!)}");
        // Rank 1 counts more batches: the int64 buffer travels in its own broadcast (one per dtype).
        using (Autograd.NoGrad()) norm.NumBatchesTracked!.CopyFrom(Tensor.Full([], 10.0 * (world.Rank + 1), DType.Int64));
        Say($"rank {world.Rank}: before-next-tracked [] {Values(norm.NumBatchesTracked!)}");
        ddp.Run(m => m);
        Say($"rank {world.Rank}: next-forward [2] {Values(norm.RunningMean!)}");
        Say($"rank {world.Rank}: next-forward-var [2] {Values(norm.RunningVar!)}");
        Say($"rank {world.Rank}: next-tracked [] {Values(norm.NumBatchesTracked!)}");
        return 0;
    }
}
