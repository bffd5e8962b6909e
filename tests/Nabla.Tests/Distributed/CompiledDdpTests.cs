using Nabla.Distributed;
using Nabla.DistributedWorker;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Distributed;

/// <summary>
/// DistributedDataParallel and MultiWorkerMirroredStrategy inside a compiled training step: each bucket's all-reduce is
/// one op of the graph that every replay runs. On 2 and 3 ranks (CompiledScenarios), the compiled step trains to the
/// parameters of the eager step and of DdpTraining.Reference (one process adding the shards' gradients in rank order),
/// bit for bit in deterministic mode, tracing once: the later steps are replays, so the replays communicate.
/// </summary>
[Collection("ProcessGroup")]
public class CompiledDdpTests
{
    // "param": the compiled step; "eager-param": the same step eagerly; "forward-param" (DDP runs): only the forward compiled.
    static void AssertCompiledRun(Mpi.Result run, int ranks, Module reference, double relative = 0, bool ddp = true)
    {
        Assert.True(run.ExitCode == 0, run.Output);
        DdpTests.AssertParameters(run, ranks, reference, relative, "param");
        DdpTests.AssertParameters(run, ranks, reference, relative, "eager-param");
        for (int r = 0; r < ranks; r++) AssertReplayed(run, r);
        if (ddp) DdpTests.AssertParameters(run, ranks, reference, relative, "forward-param");
    }

    // "traces T as-without-ddp P calls C": the step traced as often as without DDP (SGD's momentum buffers, made by the
    // first step, trace once more), and the other calls were replays, which therefore communicated.
    static void AssertReplayed(Mpi.Result run, int rank)
    {
        var words = run.Line(rank, "traces").Split(' ');
        Assert.Equal(words[2], words[0]);
        Assert.True(int.Parse(words[0]) < int.Parse(words[4]) - 1, $"rank {rank}: at least two replays expected: {string.Join(' ', words)}");
    }

    [MpiFact]
    public void CompiledDdpStepOnTwoRanksEqualsEagerDdpAndOneProcessBitForBit()
    {
        foreach (var optimizer in new[] { "sgd", "adam" })
        {
            // 0.0001 MiB: two buckets (layer 2 and layer 1's bias; layer 1's weight), as DdpTests' eager run.
            var run = Mpi.Run(2, "compiled-ddp-train", [optimizer, "4", "det", "1", "0.0001"]);
            AssertCompiledRun(run, 2, DdpTraining.Reference(2, 1, optimizer, 4, tape: false));
            Assert.Equal("2", run.Line(1, "buckets"));
        }
    }

    [MpiFact]
    public void CompiledDdpStepOnThreeRanksEqualsEagerDdpAndOneProcessBitForBit()
    {
        foreach (var optimizer in new[] { "sgd", "adam" })
            AssertCompiledRun(Mpi.Run(3, "compiled-ddp-train", [optimizer, "4", "det", "1", "0.0001"]), 3,
                DdpTraining.Reference(3, 1, optimizer, 4, tape: false));
    }

    // Two micro-batches per compiled step: the first backward under NoSync (opened inside the step) only accumulates.
    [MpiFact]
    public void NoSyncInsideTheCompiledStepAccumulatesAndTheLastBackwardAveragesTheSum()
    {
        AssertCompiledRun(Mpi.Run(2, "compiled-ddp-train", ["sgd", "4", "det", "2", "25"]), 2, DdpTraining.Reference(2, 2, "sgd", 4, tape: false));
    }

    // MPI's own all-reduce (not rank-ordered): still one trace, and every rank ends with the same parameters although each
    // replay fed each rank other data.
    [MpiFact]
    public void ReplaysWithoutDeterminismCommunicateAndAgreeWithOneProcessToOneMillionth()
    {
        var run = Mpi.Run(3, "compiled-ddp-train", ["adam", "4", "fast", "1", "25"]);
        AssertCompiledRun(run, 3, DdpTraining.Reference(3, 1, "adam", 4, tape: false), relative: 1e-6);
        for (int i = 0; i < 4; i++)
            Assert.Equal(run.Values(0, $"param {i}"), run.Values(2, $"param {i}"));
        // Without the replays' all-reduces each rank would have followed its own shard: rank 0 alone ends elsewhere.
        var alone = DdpTraining.Reference(1, 1, "adam", 4, tape: false).Parameters().First().To(DType.Float64).Reshape(-1).ToArray<double>();
        Assert.NotEqual(alone, run.Values(0, "param 0"));
    }

    [MpiFact]
    public void CompiledStrategyStepOnTwoAndThreeRanksEqualsEagerAndOneProcessBitForBit()
    {
        foreach (int n in new[] { 2, 3 })
            foreach (var optimizer in new[] { "sgd", "adam" })
                AssertCompiledRun(Mpi.Run(n, "compiled-strategy-train", [optimizer, "4", "det"]), n, DdpTraining.Reference(n, 1, optimizer, 4, tape: true), ddp: false);
    }

    // Rank 0 replays the step while rank 1 calls another all-reduce: the per-call check stops both, naming what each passed.
    [MpiFact]
    public void AReplayOnOneRankOnlyIsCaughtByTheCollectiveCheckOnEveryRank()
    {
        var run = Mpi.Run(2, "compiled-ddp-mismatch");
        Assert.True(run.ExitCode == 0, run.Output);
        foreach (int r in new[] { 0, 1 })
        {
            var line = run.Line(r, "replay");
            Assert.Contains("the ranks disagree on what they pass (rank 0: AllReduce (Average) of float32 [", line);
            Assert.Contains("rank 1: AllReduce (Sum) of float32 [3]", line);
        }
        Assert.Contains("DistributedDataParallel bucket 0 (compiled step)", run.Line(0, "replay"));
    }

    // Every call of a compiled training forward first copies rank 0's BatchNorm buffers, then updates them from its own batch.
    [MpiFact]
    public void ACompiledForwardBroadcastsBuffersOnEveryCall()
    {
        var run = Mpi.Run(2, "compiled-ddp-buffers");
        Assert.True(run.ExitCode == 0, run.Output);
        for (int r = 0; r < 2; r++)
        {
            Assert.Equal("1 as-without-ddp 1 calls 3", run.Line(r, "traces"));
            for (int call = 0; call < 3; call++) Assert.Equal(run.Values(r, $"expected-call-{call}"), run.Values(r, $"after-call-{call}"));
        }
        Assert.NotEqual(run.Values(0, "after-call-2"), run.Values(1, "after-call-2"));   // each rank's own batch statistics
    }

    // FindUnusedParameters in a compiled step: a parameter only rank 0 uses gets the average (half rank 0's gradient) on
    // both ranks, one nobody uses keeps a null gradient, as eager; the flags are all-reduced by every replay.
    [MpiFact]
    public void UnusedParametersInACompiledStepAreAveragedAsEager()
    {
        var run = Mpi.Run(2, "compiled-ddp-unused");
        Assert.True(run.ExitCode == 0, run.Output);
        for (int r = 0; r < 2; r++)
        {
            var compiled = run.Line(r, "compiled");
            Assert.Equal(run.Line(r, "eager"), compiled);
            Assert.Equal(run.Line(0, "compiled"), compiled);
            Assert.EndsWith("| null | null", compiled);
        }
    }

    // Without mpirun: one rank. The graph holds the bucket's all-reduce as one op, and the compiled step trains as eager DDP.
    [Fact]
    public void OnOneRankTheCompiledStepRecordsTheAllReduceAndTrainsAsEager()
    {
        static (DistributedDataParallel Ddp, Sgd Opt) Make()
        {
            var ddp = new DistributedDataParallel(DdpTraining.Model(100));
            return (ddp, new Sgd(ddp.Parameters(), learningRate: 0.1));   // no momentum buffers: one trace
        }
        static Tensor Step(DistributedDataParallel ddp, Sgd opt, Tensor x, Tensor y)
        {
            opt.ZeroGrad();
            var loss = DdpTraining.Loss(ddp, (x, y));
            loss.Backward();
            opt.Step();
            return loss;
        }
        var (ddpC, optC) = Make();
        var (ddpE, optE) = Make();
        var compiled = Graph.Compile((Tensor x, Tensor y) => Step(ddpC, optC, x, y));
        for (int step = 0; step < 4; step++)
        {
            var (x, y) = DdpTraining.Batch(step);
            Assert.Equal(Step(ddpE, optE, x, y).ToArray<float>(), compiled.Call(x, y).ToArray<float>());
        }
        Assert.Equal(ddpE.Parameters().Select(p => p.ToArray<float>()), ddpC.Parameters().Select(p => p.ToArray<float>()));
        Assert.Equal(1, compiled.TraceCount);
        var (bx, by) = DdpTraining.Batch(0);
        var graph = compiled.GraphFor(bx, by);
        Assert.Contains("custom DistributedDataParallel.Bucket0AllReduce(", graph);
        Assert.Contains("writes in place", graph);
    }

    // NoSync around the compiled call (outside it): the guard on the scope traces the step once more, and that graph
    // accumulates without communication; leaving the scope replays the first graph again.
    [Fact]
    public void NoSyncAroundACompiledStepIsGuardedAndTracedOnce()
    {
        var ddp = new DistributedDataParallel(DdpTraining.Model(100));
        var backward = Graph.Compile((Tensor x, Tensor y) =>
        {
            var loss = DdpTraining.Loss(ddp, (x, y));
            loss.Backward();
            return loss;
        });
        var (x, y) = DdpTraining.Batch(0);
        DdpTraining.Loss(ddp, (x, y)).Backward();   // eager: every call below finds .Grad set (else it is guarded too)
        backward.Call(x, y);
        using (ddp.NoSync()) backward.Call(x, y);
        using (ddp.NoSync()) backward.Call(x, y);
        backward.Call(x, y);
        Assert.Equal(2, backward.TraceCount);
        Assert.Contains("custom DistributedDataParallel.Bucket0AllReduce(", backward.GraphFor(x, y));   // the first trace's
        // Five backward passes added up, as the plain module accumulates them (one rank: the average is the gradient).
        var plain = DdpTraining.Model(100);
        for (int pass = 0; pass < 5; pass++) DdpTraining.Loss(plain, (x, y)).Backward();
        Assert.Equal(plain.Parameters().Select(p => p.Grad!.ToArray<float>()), ddp.Module.Parameters().Select(p => p.Grad!.ToArray<float>()));
    }

    // TF style on one rank: the compiled ApplyGradients under the scope averages (over one rank) and trains as eager.
    [Fact]
    public void OnOneRankTheCompiledStrategyStepTrainsAsEager()
    {
        var strategy = new MultiWorkerMirroredStrategy();
        Func<Tensor, Tensor, Tensor> Step(Module model, Adam opt) => (x, y) =>
        {
            using var tape = new GradientTape();
            var loss = DdpTraining.Loss(model, (x, y));
            opt.ApplyGradients(tape.Gradient(loss, model.TrainableVariables).Zip(model.TrainableVariables));
            return loss;
        };
        var (modelC, modelE) = (DdpTraining.Model(100), DdpTraining.Model(100));
        var compiled = Graph.Compile(Step(modelC, new Adam(learningRate: 0.01)));
        var eager = Step(modelE, new Adam(learningRate: 0.01));
        using (strategy.Scope())
            for (int step = 0; step < 3; step++)
            {
                var (x, y) = DdpTraining.Batch(step);
                Assert.Equal(eager(x, y).ToArray<float>(), compiled.Call(x, y).ToArray<float>());
            }
        Assert.Equal(modelE.Parameters().Select(p => p.ToArray<float>()), modelC.Parameters().Select(p => p.ToArray<float>()));
        Assert.Equal(1, compiled.TraceCount);
        using (strategy.Scope())
            Assert.Contains("custom MultiWorkerMirroredStrategy.Bucket0AllReduce(", compiled.GraphFor(DdpTraining.Batch(0).X, DdpTraining.Batch(0).Y));
    }
}
