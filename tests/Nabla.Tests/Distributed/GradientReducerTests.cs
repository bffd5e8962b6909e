using Nabla.Distributed;
using Nabla.DistributedWorker;

namespace Nabla.Tests.Distributed;

/// <summary>The bucketing and launch order of the engine under DistributedDataParallel and MultiWorkerMirroredStrategy (one rank).</summary>
[Collection("ProcessGroup")]
public class GradientReducerTests
{
    // Parameters of 3, 5, 2 and 4 float32s (12, 20, 8, 16 bytes) under a 28-byte cap: reverse order gives buckets
    // {3: 16 B, 2: 8 B} = 24 B, {1: 20 B}, {0: 12 B}.
    static Tensor[] Parameters() => [.. new[] { 3, 5, 2, 4 }.Select(n => Tensor.Zeros([n], requiresGrad: true))];

    [Fact]
    public void BucketsFollowReverseRegistrationOrderUpToTheCap()
    {
        var reducer = new GradientReducer(ProcessGroup.Init(), Parameters(), ["p0", "p1", "p2", "p3"], 28.0 / (1024 * 1024), "test");
        Assert.Equal([[3, 2], [1], [0]], reducer.Buckets.Select(b => b.Members));
        Assert.Equal([0, 4], reducer.Buckets[0].Offsets);
        Assert.Equal([6, 5, 3], reducer.Buckets.Select(b => b.Flat.NumElements));
    }

    // A full bucket waits for every earlier bucket to start: every rank must start them in one order.
    [Fact]
    public void AFullBucketStartsOnlyAfterEveryEarlierBucket()
    {
        var ps = Parameters();
        var reducer = new GradientReducer(ProcessGroup.Init(), ps, ["p0", "p1", "p2", "p3"], 28.0 / (1024 * 1024), "test");
        reducer.Begin();
        reducer.Ready(0, Tensor.Full([3], 1.0));   // bucket 2 complete, but buckets 0 and 1 are not
        Assert.Equal([false, false, false], reducer.Buckets.Select(b => b.Reduction is not null));
        reducer.Ready(3, Tensor.Full([4], 2.0));
        reducer.Ready(2, null);                    // bucket 0 complete: it starts
        Assert.Equal([true, false, false], reducer.Buckets.Select(b => b.Reduction is not null));
        reducer.Ready(1, Tensor.Full([5], 3.0));   // bucket 1 complete: it and the waiting bucket 2 start
        Assert.Equal([true, true, true], reducer.Buckets.Select(b => b.Reduction is not null));
        Assert.Empty(reducer.Missing);
        var used = reducer.Finish(findUnused: true);
        Assert.Equal([true, true, false, true], used);
        Assert.Equal([1f, 1, 1], reducer.Averaged(0).ToArray<float>());
        Assert.Equal([0f, 0], reducer.Averaged(2).ToArray<float>());
        Assert.Equal([2f, 2, 2, 2], reducer.Averaged(3).ToArray<float>());
    }

    // DDP's hooks start a bucket while backward is still running: layer 0's weight is the last gradient computed, and
    // when it arrives the bucket of layer 2 has already started.
    [Fact]
    public void DdpStartsTheFirstBucketBeforeBackwardReachesTheFirstLayer()
    {
        var ddp = new DistributedDataParallel(DdpTraining.Model(100), options: new DistributedDataParallelOptions { BucketCapMB = 0.0001 });
        Assert.Equal(2, ddp.BucketCount);
        var seen = new List<bool>();
        var firstWeight = ddp.Module.Parameters().First();
        using var _ = firstWeight.RegisterPostAccumulateGradHook(_ => seen.Add(ddp.Reducer.Buckets[0].Reduction is not null));
        DdpTraining.Loss(ddp, DdpTraining.Part(DdpTraining.Batch(0), 0, 2)).Backward();
        Assert.Equal([true], seen);
        Assert.False(ddp.Reducer.InRound);
    }
}
