using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>The persistent worker team: every index exactly once, errors surface, nesting and concurrency.</summary>
[Collection(CpuStateCollection.Name)]
public class CpuWorkersTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 3)]
    [InlineData(7, 1)]
    [InlineData(1000, 3)]
    [InlineData(5, 0)]
    public void ForRunsEveryIndexOnce(int count, int helpers)
    {
        var hits = new int[count];
        for (int round = 0; round < 20; round++)
            CpuWorkers.For(count, helpers, i => Interlocked.Increment(ref hits[i]));
        Assert.All(hits, h => Assert.Equal(20, h));
    }

    [Fact]
    public void WorkerExceptionReachesCaller()
    {
        var e = Assert.Throws<AggregateException>(() => CpuWorkers.Share(2, () =>
        {
            if (Thread.CurrentThread.Name?.StartsWith("Nabla CPU worker") == true) throw new InvalidOperationException("boom");
            Thread.Sleep(50); // give a worker time to start
        }));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        // The team still works afterwards.
        int sum = 0;
        CpuWorkers.For(100, 2, i => Interlocked.Add(ref sum, i));
        Assert.Equal(4950, sum);
    }

    [Fact]
    public void CallerExceptionPropagatesAndTeamRecovers()
    {
        Assert.Throws<ArgumentException>(() => CpuWorkers.Share(1, () =>
        {
            if (Thread.CurrentThread.Name?.StartsWith("Nabla CPU worker") != true) throw new ArgumentException("caller");
        }));
        int sum = 0;
        CpuWorkers.For(10, 1, i => Interlocked.Add(ref sum, i));
        Assert.Equal(45, sum);
    }

    [Fact]
    public void NestedAndConcurrentCallsComplete()
    {
        var hits = new int[64 * 32];
        // Several user threads at once (only one owns the team; the others run alone), each nesting a call.
        Parallel.For(0, 4, t =>
        {
            for (int rep = 0; rep < 8; rep++)
                CpuWorkers.For(64, 2, i =>
                    CpuWorkers.For(32, 2, j => Interlocked.Increment(ref hits[i * 32 + j])));
        });
        Assert.All(hits, h => Assert.Equal(32, h));
    }

    [Fact]
    public void GemmFromSeveralThreadsAtOnce()
    {
        const int m = 90, k = 500, n = 130;
        var a = Array.ConvertAll(GemmTests.Random(m * k, 5), v => (float)v);
        var b = Array.ConvertAll(GemmTests.Random(k * n, 6), v => (float)v);
        var expected = new float[m * n];
        CpuState.WithThreads(1, () => { Gemm.Run(a, 0, b, 0, expected, 1, m, k, n); return 0; });
        var results = CpuState.WithThreads(2, () =>
        {
            var r = new float[6][];
            Parallel.For(0, 6, t =>
            {
                r[t] = new float[m * n];
                Gemm.Run(a, 0, b, 0, r[t], 1, m, k, n);
            });
            return r;
        });
        Assert.All(results, r => Assert.Equal(expected, r));
    }
}
