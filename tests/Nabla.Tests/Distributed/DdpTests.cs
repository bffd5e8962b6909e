using Nabla.Distributed;
using Nabla.DistributedWorker;
using Nabla.Engine;
using Nabla.NN;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Distributed;

/// <summary>
/// DistributedDataParallel on 2 and 3 ranks against DdpTraining.Reference, the same training in this process: the
/// shards' gradients summed in rank order and divided by N. Each rank starts from its own random parameters, so a
/// match also proves that rank 0's were broadcast.
/// </summary>
[Collection("ProcessGroup")]
public class DdpTests
{
    static double[] ValuesOf(Tensor t) => t.To(DType.Float64).Reshape(-1).ToArray<double>();

    /// <summary>
    /// Each rank's printed parameters ("rank R: <paramref name="label"/> I [shape] v v v") against <paramref name="reference"/>'s:
    /// bit for bit, or to <paramref name="relative"/>.
    /// </summary>
    internal static void AssertParameters(Mpi.Result run, int ranks, Module reference, double relative = 0, string label = "param")
    {
        var expected = reference.Parameters().ToArray();
        for (int r = 0; r < ranks; r++)
            for (int i = 0; i < expected.Length; i++)
            {
                var want = ValuesOf(expected[i]);
                var got = run.Values(r, $"{label} {i}");
                if (relative == 0) Assert.Equal(want, got);
                else
                {
                    Assert.Equal(want.Length, got.Length);
                    for (int k = 0; k < want.Length; k++)
                        Assert.True(Math.Abs(got[k] - want[k]) <= relative * Math.Abs(want[k]), $"rank {r} param {i}[{k}]: {got[k]} vs {want[k]}");
                }
            }
    }

    [MpiFact]
    public void DeterministicTrainingOnTwoAndThreeRanksEqualsOneProcessBitForBit() => CheckDeterministicTraining(Mpi.OpenMpi);

    // Shared with MpichTests: the same parameters, bit for bit, under either MPI.
    internal static void CheckDeterministicTraining(MpiLauncher launcher)
    {
        foreach (int n in new[] { 2, 3 })
            foreach (var optimizer in new[] { "sgd", "adam" })
            {
                // 0.0001 MiB (104 bytes): layer 2's bias and weight and layer 1's bias share a bucket, layer 1's weight has its own.
                var run = launcher.Run(n, "ddp-train", [optimizer, "3", "det", "1", "0.0001"]);
                Assert.True(run.ExitCode == 0, run.Output);
                AssertParameters(run, n, DdpTraining.Reference(n, 1, optimizer, 3, tape: false));
                for (int r = 0; r < n; r++)
                {
                    Assert.Equal("2", run.Line(r, "buckets"));
                    Assert.Equal("module.0.weight,module.0.bias,module.2.weight,module.2.bias", run.Line(r, "keys"));
                }
            }
    }

    [MpiFact]
    public void WithoutDeterminismThreeRanksAgreeWithOneProcessToOneMillionth()
    {
        var run = Mpi.Run(3, "ddp-train", ["adam", "3", "fast", "1", "25"]);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("1", run.Line(0, "buckets"));
        AssertParameters(run, 3, DdpTraining.Reference(3, 1, "adam", 3, tape: false), relative: 1e-6);
    }

    // Two micro-batches per step: the first backward under NoSync only accumulates, the second all-reduces the sum.
    [MpiFact]
    public void NoSyncAccumulatesLocallyAndTheNextBackwardAveragesTheSum()
    {
        var run = Mpi.Run(2, "ddp-train", ["sgd", "3", "det", "2", "25"]);
        Assert.True(run.ExitCode == 0, run.Output);
        AssertParameters(run, 2, DdpTraining.Reference(2, 2, "sgd", 3, tape: false));
    }

    [MpiFact]
    public void RanksWithDifferentModelsAllThrowNamingTheParameter()
    {
        var run = Mpi.Run(2, "ddp-mismatch");
        Assert.True(run.ExitCode == 0, run.Output);
        for (int r = 0; r < 2; r++)
        {
            var count = run.Line(r, "count");
            Assert.Contains("DistributedDataParallel: the ranks have different numbers of parameters (rank 0: 2, rank 1: 4)", count);
            Assert.Contains("DdpScenarios.cs:", count);
            var shape = run.Line(r, "shape");
            Assert.Contains("DistributedDataParallel: module.1.weight differs across ranks (rank 0: float32 [2, 2]; rank 1: float32 [3, 2])", shape);
            Assert.Contains("DdpScenarios.cs:", shape);
        }
    }

    [MpiFact]
    public void UnusedParametersThrowUnlessFoundAndThenAverageOnlyWhereSomeRankUsedThem()
    {
        var run = Mpi.Run(2, "ddp-unused");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("rank 0 computed no gradient for 2 parameter(s) in this backward pass: module.2.weight, module.2.bias", run.Line(0, "error-False"));
        Assert.Contains("rank 1 computed no gradient for 4 parameter(s) in this backward pass: module.1.weight, module.1.bias, module.2.weight, module.2.bias", run.Line(1, "error-False"));
        Assert.Contains("FindUnusedParameters = true", run.Line(1, "error-False"));
        Assert.Contains("DdpScenarios.cs:", run.Line(1, "error-False"));
        var local = run.Line(0, "local-layer1").Split(' ').Select(double.Parse).ToArray();
        foreach (int r in new[] { 0, 1 })
        {
            var grads = run.Line(r, "grads-True").Split(" | ");
            Assert.Equal(6, grads.Length);
            Assert.Equal(run.Line(0, "grads-True"), run.Line(r, "grads-True"));
            // Layer 1 only on rank 0: rank 1 counts zeros, so the average is half rank 0's gradient (exact in binary).
            Assert.Equal(local.Select(g => (double)((float)g / 2)), grads[2].Split(' ').Select(double.Parse));
            Assert.Equal(["null", "null"], grads[4..]);
        }
    }

    [MpiFact]
    public void BuffersAreRankZerosAtWrappingAndBeforeEachTrainingForward()
    {
        var run = Mpi.Run(2, "ddp-buffers");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.NotEqual(run.Values(0, "after-forward"), run.Values(1, "after-forward"));   // each rank's own batch statistics
        for (int r = 0; r < 2; r++)
        {
            Assert.Equal([1.0, 1.0], run.Values(r, "wrapped"));
            // The float32 buffers travel side by side in one broadcast: each comes back to its own place.
            Assert.Equal(run.Values(0, "after-forward"), run.Values(r, "next-forward"));
            Assert.Equal(run.Values(0, "after-forward-var"), run.Values(r, "next-forward-var"));
            Assert.Equal([10.0], run.Values(r, "next-tracked"));
        }
        Assert.NotEqual(run.Values(0, "after-forward"), run.Values(0, "after-forward-var"));
        Assert.Equal([20.0], run.Values(1, "before-next-tracked"));
    }

    // Without mpirun: a one-rank group; DDP must give the plain module's gradients and PyTorch's state-dict keys.
    [Fact]
    public void OnOneRankGradientsAreTheModulesOwn()
    {
        var batch = DdpTraining.Part(DdpTraining.Batch(0), 0, 2);
        var plain = DdpTraining.Model(100);
        DdpTraining.Loss(plain, batch).Backward();
        var ddp = new DistributedDataParallel(DdpTraining.Model(100));
        Assert.Equal(1, ddp.Group.Size);
        DdpTraining.Loss(ddp, batch).Backward();
        Assert.Equal(plain.Parameters().Select(p => ValuesOf(p.Grad!)), ddp.Module.Parameters().Select(p => ValuesOf(p.Grad!)));
        Assert.Equal(["module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"], ddp.StateDict().Keys);
        // NoSync on one rank: the gradient simply accumulates.
        using (ddp.NoSync()) DdpTraining.Loss(ddp, batch).Backward();
        Assert.Equal(plain.Parameters().Select(p => ValuesOf(p.Grad! * 2)), ddp.Module.Parameters().Select(p => ValuesOf(p.Grad!)));
    }

    [Fact]
    public void ABadBucketCapIsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new DistributedDataParallel(DdpTraining.Model(1), options: new DistributedDataParallelOptions { BucketCapMB = 0 }));
        Assert.Contains("DistributedDataParallel: the bucket cap must be a positive number of MiB, got 0", e.Message);
        Assert.Contains("DdpTests.cs:", e.Message);
    }

    // The engine's end-of-backward callback (PyTorch's queue_callback): after every leaf's gradient, before Backward returns.
    [Fact]
    public void AQueuedCallbackRunsOnceAfterTheLastGradientOfThePass()
    {
        var a = Tensor.FromArray(new float[] { 1, 2 }, [2], requiresGrad: true);
        var b = Tensor.FromArray(new float[] { 3, 4 }, [2], requiresGrad: true);
        var events = new List<string>();
        bool queued = false;
        void OnLeaf(string name, Tensor t)
        {
            events.Add($"{name}={string.Join(",", t.Grad!.ToArray<float>())}");
            if (queued) return;
            queued = true;
            Backprop.QueueCallback(() => events.Add($"end a={string.Join(",", a.Grad!.ToArray<float>())} b={string.Join(",", b.Grad!.ToArray<float>())}"));
        }
        a.RegisterPostAccumulateGradHook(t => OnLeaf("a", t));
        b.RegisterPostAccumulateGradHook(t => OnLeaf("b", t));
        (a * b).Sum().Backward();
        events.Add("returned");
        Assert.Equal(3, events.Count(e => e.StartsWith('a') || e.StartsWith('b')) + 1);
        Assert.Equal(["end a=3,4 b=1,2", "returned"], events[2..]);
        Assert.Contains("a=3,4", events);
        Assert.Contains("b=1,2", events);
        var e = Assert.Throws<InvalidOperationException>(() => Backprop.QueueCallback(() => { }));
        Assert.Contains("only valid inside a backward pass", e.Message);
    }
}
