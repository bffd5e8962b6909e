using Nabla.Data;

namespace Nabla.Tests.Data;

/// <summary>
/// Background prefetch: observed through what the dataset sees (which indices were read, on which
/// thread, how many at once), never through timings.
/// </summary>
public class DataLoaderPrefetchTests
{
    static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public void TheNextBatchIsBuiltOnAWorkerBeforeTheConsumerAsksForIt()
    {
        using var nextBatchStarted = new ManualResetEventSlim();
        var data = new ProbeDataset(8, onRead: i => { if (i == 2) nextBatchStarted.Set(); });
        using var batches = new DataLoader(data, batchSize: 2, prefetch: 1).GetEnumerator();
        Assert.True(batches.MoveNext());
        Assert.Equal(new long[] { 0, 1 }, batches.Current[1].ToArray<long>());
        // The consumer now holds batch 0 and has not asked for batch 1: a worker must start it anyway.
        Assert.True(nextBatchStarted.Wait(Generous), "batch 1 was not started in the background");
        Assert.NotEqual(Environment.CurrentManagedThreadId, data.ThreadOf[2]);
        // Only one batch ahead: batch 2 (samples 4, 5) waits until batch 1 is taken.
        Assert.False(data.ThreadOf.ContainsKey(4));
        Assert.True(batches.MoveNext());
        Assert.Equal(new long[] { 2, 3 }, batches.Current[1].ToArray<long>());
    }

    [Fact]
    public void WithoutPrefetchBatchesAreBuiltInsideMoveNext()
    {
        var data = new ProbeDataset(8);
        using var batches = new DataLoader(data, batchSize: 2, prefetch: 0).GetEnumerator();
        Assert.True(batches.MoveNext());
        Assert.Equal(2, data.Reads);
        Assert.True(batches.MoveNext());
        Assert.Equal(4, data.Reads);
        Assert.All(data.ThreadOf.Values, t => Assert.Equal(Environment.CurrentManagedThreadId, t));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void PrefetchGivesTheSameBatchesAndUsesTheDatasetOneThreadAtATime(int prefetch)
    {
        var data = new ProbeDataset(40, onRead: _ => Thread.SpinWait(20_000));
        var plain = new DataLoader(new ProbeDataset(40), batchSize: 3, shuffle: true, seed: 9, prefetch: 0).Select(b => b[1].ToArray<long>()).ToList();
        var ahead = new DataLoader(data, batchSize: 3, shuffle: true, seed: 9, prefetch: prefetch).Select(b => b[1].ToArray<long>()).ToList();
        Assert.Equal(plain, ahead);
        Assert.Equal(1, data.MaxActive);
        Assert.Equal(40, data.Reads);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void AnExceptionInTheDatasetSurfacesInTheConsumer(int prefetch)
    {
        var data = new ProbeDataset(10, throwAt: 5);
        var seen = new List<long>();
        using var batches = new DataLoader(data, batchSize: 2, prefetch: prefetch).GetEnumerator();
        var e = Assert.Throws<ProbeException>(() =>
        {
            while (batches.MoveNext()) seen.AddRange(batches.Current[1].ToArray<long>());
        });
        Assert.Equal("sample 5 is broken", e.Message);
        Assert.Equal(new long[] { 0, 1, 2, 3 }, seen);   // the batches before the broken one arrived
        Assert.False(batches.MoveNext());                 // the epoch is over
        Assert.Equal(0, data.Active);
    }

    [Fact]
    public async Task LeavingEarlyStopsTheWorkerBeforeDisposeReturns()
    {
        using var release = new ManualResetEventSlim();
        using var blocked = new ManualResetEventSlim();
        var data = new ProbeDataset(100, onRead: i => { if (i == 10) { blocked.Set(); release.Wait(); } });
        var batches = new DataLoader(data, batchSize: 10, prefetch: 2).GetEnumerator();
        Assert.True(batches.MoveNext());
        Assert.True(blocked.Wait(Generous));   // the worker is stuck inside batch 1
        var dispose = Task.Run(batches.Dispose);
        release.Set();
        await dispose.WaitAsync(Generous);
        // Dispose waited for the read in flight; after it nothing reads the dataset any more.
        Assert.Equal(0, data.Active);
        int reads = data.Reads;
        Assert.InRange(reads, 11, 30);
        await Task.Delay(100);
        Assert.Equal(reads, data.Reads);
        Assert.False(batches.MoveNext());
    }

    [Fact]
    public async Task CancellingWhileTheWorkerIsBusyStartsNoFurtherBatch()
    {
        using var release = new ManualResetEventSlim();
        using var blocked = new ManualResetEventSlim();
        using var cts = new CancellationTokenSource();
        var data = new ProbeDataset(100, onRead: i => { if (i == 10) { blocked.Set(); release.Wait(); } });
        var batches = new DataLoader(data, batchSize: 10, prefetch: 2).WithCancellation(cts.Token).GetEnumerator();
        Assert.True(batches.MoveNext());
        Assert.True(blocked.Wait(Generous));   // batch 1 in progress, batch 2 queued behind it
        cts.Cancel();
        var dispose = Task.Run(batches.Dispose);
        release.Set();
        await dispose.WaitAsync(Generous);
        Assert.Equal(0, data.Active);
        Assert.False(data.ThreadOf.ContainsKey(20));   // batch 2 was cancelled before it began
        Assert.False(batches.MoveNext());
    }

    [Fact]
    public void CancellationStopsTheEpoch()
    {
        var data = new ProbeDataset(100);
        using var cts = new CancellationTokenSource();
        var loader = new DataLoader(data, batchSize: 10, prefetch: 2);
        int seen = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var _ in loader.WithCancellation(cts.Token))
                if (++seen == 3) cts.Cancel();
        });
        Assert.Equal(3, seen);
        Assert.Equal(0, data.Active);
        Assert.InRange(data.Reads, 30, 50);   // the 3 batches taken and at most 2 prefetched
        Assert.Equal(1, loader.Epoch);
        // A new epoch with a fresh token runs in full.
        Assert.Equal(10, loader.WithCancellation(CancellationToken.None).Count());
    }

    [Fact]
    public void AnAlreadyCancelledTokenReadsNothing()
    {
        var data = new ProbeDataset(10);
        var loader = new DataLoader(data, batchSize: 5);
        Assert.ThrowsAny<OperationCanceledException>(() => loader.WithCancellation(new CancellationToken(true)).First());
        Assert.Equal(0, data.Reads);
    }

    [Fact]
    public void BatchesFromTheWorkerWorkUnderAnOpenGradientTape()
    {
        var w = new Variable(Tensor.FromArray(new[] { 2f }, [1]));
        var data = new TensorDataset(Tensor.Arange(6, DType.Float32).Reshape(6, 1));
        var tape = new GradientTape();
        Tensor loss;
        using (tape)
        {
            loss = Tensor.Zeros(1);
            foreach (var batch in new DataLoader(data, batchSize: 2, prefetch: 2))
                loss = loss + (batch[0] * w).Sum();
        }
        Assert.Equal(new[] { 15f }, tape.Gradient(loss, w)!.ToArray<float>());
    }
}
