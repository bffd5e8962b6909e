using System.Runtime.CompilerServices;
using Nabla.Backends;
using Nabla.Backends.Cpu;
using Nabla.Tests.Autodiff;
using static Nabla.Tests.Backends.PoolProbe;

namespace Nabla.Tests.Hardening;

/// <summary>
/// A workload whose tensor sizes never repeat must not grow the pool's per-length table without bound
/// (issue 11: 20,000 distinct lengths left 20,030 buckets), and reuse must still work afterwards. Runs
/// alone: it forces collections and watches the pool.
/// </summary>
[Collection(nameof(MemoryCollection))]
public class PoolBoundTests
{
    [Fact]
    public void LengthTableStaysBoundedWhenLengthsNeverRepeat()
    {
        long limit = BufferPool.LimitBytes;
        try
        {
            BufferPool.LimitBytes = 1 << 20;        // about 25 free arrays of 40 KB: most lengths get evicted
            BufferPool.ForgetLargest();
            const int distinct = 3_000;
            for (int i = 0; i < distinct; i++)
            {
                DropFilledTensor(10_007 + 3 * i, 1);  // 40 KB and up (pooled), a new length every time
                if (i % 20 == 19) CollectAndFinalize();
            }
            CollectAndFinalize();

            // Every bucket is either in use or one of the empty ones tolerated before a sweep (at most as
            // many as the non-empty ones, or the slack); without sweeping this would be ~3,000.
            int free = (int)(BufferPool.PooledBytes / (10_007 * sizeof(float)));   // an upper bound on free arrays
            int bound = 2 * Math.Max(free, BufferPool<float>.EmptyBucketSlack) + 1;
            Assert.InRange(BufferPool<float>.BucketCount, 0, bound);
            Assert.True(bound < distinct / 10, $"bound {bound} should be far below {distinct}");

            // Reuse still works after the sweeps, for a length seen before and for a new one.
            var again = DropFilledTensor(10_007 + 3 * (distinct - 1), 2);
            CollectAndFinalize();
            Assert.Same(again, NewArray(10_007 + 3 * (distinct - 1)));
            var fresh = DropFilledTensor(9_001 * 2, 3);
            CollectAndFinalize();
            Assert.Same(fresh, NewArray(9_001 * 2));
        }
        finally { BufferPool.LimitBytes = limit; }
    }

    [Fact]
    public void RepeatingLengthsKeepTheirBucketsAndAreReusedEveryStep()
    {
        // A training loop's lengths repeat every step: the same few buckets are emptied and refilled (no
        // new ones), and every tensor of a step after the first is served from the pool.
        int[] lengths = [12_011, 12_013, 12_017];
        int bucketsAfterFirstStep = 0;
        for (int step = 0; step < 20; step++)
        {
            foreach (var n in lengths) DropFilledTensor(n, step);
            CollectAndFinalize();
            long hits = BufferPool.Hits;
            foreach (var n in lengths) NewArray(n);
            Assert.Equal(hits + lengths.Length, BufferPool.Hits);
            CollectAndFinalize();
            if (step == 0) bucketsAfterFirstStep = BufferPool<float>.BucketCount;
            else Assert.Equal(bucketsAfterFirstStep, BufferPool<float>.BucketCount);
        }
    }
}
