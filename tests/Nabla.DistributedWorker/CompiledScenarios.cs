using System.Globalization;
using Nabla.Distributed;
using Nabla.NN;
using static Nabla.DistributedWorker.DdpTraining;

namespace Nabla.DistributedWorker;

/// <summary>
/// DistributedDataParallel and MultiWorkerMirroredStrategy inside a compiled training step (Graph.Compile). Each rank
/// trains DdpTraining's MLP twice from the same start, once with the compiled step and once eagerly, and prints both
/// parameter sets ("param I" and "eager-param I") for the tests to compare with each other and with
/// DdpTraining.Reference, and how many times the step was traced.
/// </summary>
internal static class CompiledScenarios
{
    public static readonly (string, Func<string[], int>)[] List =
    [
        ("compiled-ddp-train", DdpTrain),
        ("compiled-strategy-train", StrategyTrain),
        ("compiled-ddp-mismatch", Mismatch),
        ("compiled-ddp-buffers", Buffers),
        ("compiled-ddp-unused", Unused),
    ];

    // One training step of `micro` micro-batches: all but the last backward under NoSync (inside the step), then the optimizer.
    static Func<Tensor[], Tensor[]> Step(DistributedDataParallel ddp, Nabla.Optim.Optimizer opt, int micro) => xy =>
    {
        opt.ZeroGrad();
        for (int m = 0; m < micro - 1; m++)
            using (ddp.NoSync())
                Loss(ddp, (xy[2 * m], xy[2 * m + 1])).Backward();
        var loss = Loss(ddp, (xy[2 * micro - 2], xy[2 * micro - 1]));
        loss.Backward();
        opt.Step();
        return [loss];
    };

    static Tensor[] MicroBatches((Tensor X, Tensor Y) shard, int micro) =>
        [.. Enumerable.Range(0, micro).SelectMany(m => { var (x, y) = Part(shard, m, micro); return new[] { x, y }; })];

    // args: optimizer (sgd|adam), steps, det|fast, micro-batches per step, bucket cap MiB.
    static int DdpTrain(string[] args)
    {
        string optimizer = args[0];
        int steps = int.Parse(args[1], CultureInfo.InvariantCulture), micro = int.Parse(args[3], CultureInfo.InvariantCulture);
        double cap = double.Parse(args[4], CultureInfo.InvariantCulture);
        using var world = Init(args[2]);
        var options = new DistributedDataParallelOptions { BucketCapMB = cap };
        var compiledDdp = new DistributedDataParallel(Model(100 + 7 * world.Rank), options: options);
        var eagerDdp = new DistributedDataParallel(Model(100 + 7 * world.Rank), options: options);
        var compiled = Graph.Compile(Step(compiledDdp, Optimizer(optimizer, compiledDdp.Parameters()), micro));
        var eager = Step(eagerDdp, Optimizer(optimizer, eagerDdp.Parameters()), micro);
        // The same step without DDP, for its trace count: an optimizer's first step traces again once its state exists.
        var plain = Model(100);
        var plainOpt = Optimizer(optimizer, plain.Parameters());
        var local = Graph.Compile((Tensor[] xy) =>
        {
            plainOpt.ZeroGrad();
            for (int m = 0; m < micro; m++) Loss(plain, (xy[2 * m], xy[2 * m + 1])).Backward();
            plainOpt.Step();
            return [xy[0]];
        });
        // Only the forward compiled, backward eager: the hooks average as eager (NoSync read when the backward runs).
        var forwardDdp = new DistributedDataParallel(Model(100 + 7 * world.Rank), options: options);
        var forwardOpt = Optimizer(optimizer, forwardDdp.Parameters());
        var forward = Graph.Compile((Tensor x) => forwardDdp.Call(x));
        void ForwardOnly(Tensor[] xy)
        {
            forwardOpt.ZeroGrad();
            for (int m = 0; m < micro - 1; m++)
                using (forwardDdp.NoSync())
                    Functional.MseLoss(forward.Call(xy[2 * m]), xy[2 * m + 1]).Backward();
            Functional.MseLoss(forward.Call(xy[2 * micro - 2]), xy[2 * micro - 1]).Backward();
            forwardOpt.Step();
        }
        for (int step = 0; step < steps; step++)
        {
            var batches = MicroBatches(Part(Batch(step), world.Rank, world.Size), micro);
            compiled.Call(batches);
            eager(batches);
            local.Call(batches);
            ForwardOnly(batches);
        }
        PrintParameters(world, "forward-param", forwardDdp.Module.Parameters());
        Say($"rank {world.Rank}: buckets {compiledDdp.BucketCount}");
        Say($"rank {world.Rank}: traces {compiled.TraceCount} as-without-ddp {local.TraceCount} calls {steps}");
        PrintParameters(world, "param", compiledDdp.Module.Parameters());
        PrintParameters(world, "eager-param", eagerDdp.Module.Parameters());
        return 0;
    }

    // TF style: GradientTape + ApplyGradients under the strategy's scope, compiled and eager. args: optimizer, steps, det|fast.
    static int StrategyTrain(string[] args)
    {
        string optimizer = args[0];
        int steps = int.Parse(args[1], CultureInfo.InvariantCulture);
        using var world = Init(args[2]);
        var strategy = new MultiWorkerMirroredStrategy();
        var compiledModel = Model(100 + 7 * world.Rank);
        var eagerModel = Model(100 + 7 * world.Rank);
        strategy.BroadcastVariables(compiledModel);
        strategy.BroadcastVariables(eagerModel);
        Func<Tensor, Tensor, Tensor> Step(Module model)
        {
            var variables = model.TrainableVariables;
            var opt = Optimizer(optimizer, null);
            return (x, y) =>
            {
                using var tape = new GradientTape();
                var loss = Loss(model, (x, y));
                opt.ApplyGradients(tape.Gradient(loss, variables).Zip(variables));
                return loss;
            };
        }
        var compiled = Graph.Compile(Step(compiledModel));
        var eager = Step(eagerModel);
        var local = Graph.Compile(Step(Model(100)));   // outside the scope, for its trace count
        for (int step = 0; step < steps; step++)
        {
            var (x, y) = Part(Batch(step), world.Rank, world.Size);
            using (strategy.Scope())
            {
                compiled.Call(x, y);
                eager(x, y);
            }
            local.Call(x, y);
        }
        Say($"rank {world.Rank}: traces {compiled.TraceCount} as-without-ddp {local.TraceCount} calls {steps}");
        PrintParameters(world, "param", compiledModel.TrainableVariables);
        PrintParameters(world, "eager-param", eagerModel.TrainableVariables);
        return 0;
    }

    // Rank 0 runs a compiled DDP step (traced, then replayed) while rank 1 calls another collective at that point:
    // the per-call check of the bucket all-reduce makes both ranks throw, listing what each passed.
    static int Mismatch(string[] args)
    {
        using var world = Init("fast");
        var ddp = new DistributedDataParallel(Model(100));
        var opt = Optimizer("sgd", ddp.Parameters());
        var step = Graph.Compile(Step(ddp, opt, 1));
        var batch = MicroBatches(Part(Batch(0), world.Rank, world.Size), 1);
        step.Call(batch);   // the trace: both ranks
        foreach (var round in new[] { "replay" })
            try
            {
                if (world.Rank == 0) step.Call(batch);
                else world.AllReduce(Tensor.Ones(3));
                Say($"rank {world.Rank}: {round} no error");
            }
            catch (Exception e)
            {
                Say($"rank {world.Rank}: {round} {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            }
        return 0;
    }

    // DdpScenarios.Unused's model with FindUnusedParameters, compiled and eager: layer 1 is used by rank 0 only, layer 2
    // by nobody. Prints each parameter's gradient after the second call (a replay) of each.
    static int Unused(string[] args)
    {
        using var world = Init("det");
        var shard = Part(Batch(0), world.Rank, world.Size);
        string Run(bool compile)
        {
            var model = new Sequential(new Linear(In, Hidden, seed: 100), new Linear(Hidden, Out, seed: 101), new Linear(Out, 2, seed: 102));
            var ddp = new DistributedDataParallel(model, options: new DistributedDataParallelOptions { FindUnusedParameters = true });
            Tensor Backward(Tensor x, Tensor y)
            {
                foreach (var p in model.Parameters()) p.Grad = null;
                var hidden = ddp.Run(m => ((Sequential)m)[0].Call(x));
                var output = world.Rank == 0 ? model[1].Call(hidden) : hidden.Narrow(1, 0, Out);
                var loss = Functional.MseLoss(output, y);
                loss.Backward();
                return loss;
            }
            var step = compile ? Graph.Compile((Func<Tensor, Tensor, Tensor>)Backward).Call : (Func<Tensor, Tensor, Tensor>)Backward;
            for (int call = 0; call < 2; call++) step(shard.X, shard.Y);
            return string.Join(" | ", model.Parameters().Select(p => p.Grad is null ? "null" : Values(p.Grad)));
        }
        Say($"rank {world.Rank}: compiled {Run(compile: true)}");
        Say($"rank {world.Rank}: eager {Run(compile: false)}");
        return 0;
    }

    // For the report, not a test: ms per SGD step of DdpScenarios' speed MLP (256-h-h-10, 64 rows per rank), eager and
    // compiled, under DDP and without (each rank alone, no communication). args: hidden width, steps, det|fast.
    // Rank r's BatchNorm starts with running mean r + 1; a compiled training forward first copies rank 0's buffers on every
    // call (then updates them from each rank's own batch). Prints the running mean after each of three calls.
    static int Buffers(string[] args)
    {
        using var world = Init("fast");
        var norm = new BatchNorm1d(2);
        var ddp = new DistributedDataParallel(new Sequential(new Linear(2, 2, seed: 1), norm));
        var forward = Graph.Compile((Tensor x) => ddp.Call(x).Sum());
        // What each call must leave: the same layers without DDP, started from rank 0's running mean, fed this rank's batch.
        var plainNorm = new BatchNorm1d(2);
        var plain = new Sequential(new Linear(2, 2, seed: 1), plainNorm);
        for (int call = 0; call < 3; call++)
        {
            var x = (Tensor.Arange(0, 8, 1).Reshape(4, 2) * (world.Rank + 1)).To(DType.Float32);
            using (Autograd.NoGrad())
            {
                norm.RunningMean!.CopyFrom(Tensor.Full([2], world.Rank + 1.0 + call));
                plainNorm.RunningMean!.CopyFrom(Tensor.Full([2], 1.0 + call));
            }
            forward.Call(x);
            plain.Call(x);
            Say($"rank {world.Rank}: after-call-{call} [2] {Values(norm.RunningMean!)}");
            Say($"rank {world.Rank}: expected-call-{call} [2] {Values(plainNorm.RunningMean!)}");
        }
        Say($"rank {world.Rank}: traces {forward.TraceCount} as-without-ddp 1 calls 3");
        return 0;
    }
}
