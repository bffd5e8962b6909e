using Nabla.Backends;
using Nabla.Tests.Autodiff;
using static Nabla.Tests.Backends.PoolProbe;

namespace Nabla.Tests.Graphs;

/// <summary>
/// How the buffer pool paces itself beside a compiled graph's kept buffers: arrays rented for keeps (a plan's
/// buffers) neither raise the pool's limit nor bring a collection closer; the limit follows the largest array of
/// the last two cycles, not the largest ever; <see cref="BufferPool.Reclaim"/> brings dead storages' arrays back at
/// once, so the next rent of that length is served from the pool; a miss of a length that came back before, once an
/// eighth of the limit was handed out, runs a young collection, whose finds serve the next rent. Runs alone: it forces
/// collections.
/// </summary>
[Collection(nameof(MemoryCollection))]
public class MemoryPlanPoolTests
{
    const int MiB = 1 << 20;

    static void WithLimit(long limit, Action body)
    {
        long before = BufferPool.LimitBytes;
        try
        {
            BufferPool.LimitBytes = limit;
            BufferPool.Reclaim();   // forgets the largest array and starts counting handouts from zero
            body();
        }
        finally
        {
            BufferPool.LimitBytes = before;
            BufferPool.ForgetLargest();
        }
    }

    [Fact]
    public void ArraysRentedForKeepsDoNotRaiseTheLimit()
    {
        WithLimit(MiB, () =>
        {
            Tensor kept;
            using (BufferPool.ForKeeps()) kept = Tensor.Zeros(MiB / 2);   // 2 MiB
            Assert.Equal(MiB, BufferPool.EffectiveLimit);
            var churn = Tensor.Zeros(MiB / 2);
            Assert.Equal(Math.Min(16L * MiB, BufferPool.MemoryCap), BufferPool.EffectiveLimit);   // eight times the largest handout
            GC.KeepAlive(kept);
            GC.KeepAlive(churn);
        });
    }

    [Fact]
    public void TheLimitForgetsALargeArrayAfterTwoCyclesWithoutOne()
    {
        WithLimit(MiB, () =>
        {
            // Every handout comes back (NoteCameBack), as in a loop whose arrays die each step: no raise for low yields.
            Handout(2 * MiB);   // limit 16 MiB: a collection after 8 MiB handed out
            Assert.Equal(16L * MiB, BufferPool.EffectiveLimit);
            for (int i = 0; i < 8; i++) Handout(MiB);   // cycle 1 ends at 8 MiB (its largest 2 MiB); cycle 2 starts with 1 MiB
            Assert.Equal(16L * MiB, BufferPool.EffectiveLimit);
            // 64 KB handouts: cycle 2 ends (largest 1 MiB: limit 8 MiB), then cycle 3 (largest 64 KB: back to the 1 MiB floor).
            int calls = 0;
            while (BufferPool.EffectiveLimit > MiB && calls < 1000) { Handout(64 * 1024); calls++; }
            Assert.Equal(MiB, BufferPool.EffectiveLimit);
            Assert.Equal(96 + 64, calls);   // 6 MiB to end cycle 2 (limit 16), 4 MiB to end cycle 3 (limit 8)
        });
    }

    static void Handout(long bytes)
    {
        BufferPool.NoteCameBack(bytes);
        BufferPool.NoteHandout(bytes);
    }

    [Fact]
    public void TwoCyclesInARowInWhichLittleCameBackRaiseTheLimitFourfold()
    {
        WithLimit(MiB, () =>
        {
            // 64 KB handouts, nothing back: cycle 1 (0.5 MiB) is low once, raises nothing; cycle 2 is low again: 4 MiB.
            for (int i = 0; i < 8; i++) BufferPool.NoteHandout(64 * 1024);
            Assert.Equal(MiB, BufferPool.EffectiveLimit);
            for (int i = 0; i < 8; i++) BufferPool.NoteHandout(64 * 1024);
            Assert.Equal(Math.Min(4L * MiB, BufferPool.MemoryCap), BufferPool.EffectiveLimit);
            // Cycles whose handouts come back keep the raised limit (it stays for the process) and raise it no further.
            for (int i = 0; i < 64; i++) Handout(64 * 1024);
            Assert.Equal(Math.Min(4L * MiB, BufferPool.MemoryCap), BufferPool.EffectiveLimit);
            // One low cycle after a good one raises nothing; the second in a row does: 16 MiB.
            for (int i = 0; i < 32; i++) BufferPool.NoteHandout(64 * 1024);
            Assert.Equal(Math.Min(4L * MiB, BufferPool.MemoryCap), BufferPool.EffectiveLimit);
            for (int i = 0; i < 32; i++) BufferPool.NoteHandout(64 * 1024);
            Assert.Equal(Math.Min(16L * MiB, BufferPool.MemoryCap), BufferPool.EffectiveLimit);
            BufferPool.ForgetLargest();
            Assert.Equal(MiB, BufferPool.EffectiveLimit);
        });
    }

    [Fact]
    public void ReclaimServesTheNextRentFromWhatJustDied()
    {
        WithLimit(64L * MiB, () =>
        {
            const int length = 300_007;   // a length no other test uses
            DropFilledTensor(length, 1);
            long hits = BufferPool.Hits;
            BufferPool.Reclaim();
            var t = Tensor.Zeros(length);
            Assert.Equal(hits + 1, BufferPool.Hits);
            GC.KeepAlive(t);
        });
    }

    [Fact]
    public void AMissOfALengthThatCameBackBeforeRunsAYoungCollectionOnceAnEighthOfTheLimitWasHandedOut()
    {
        WithLimit(32L * MiB, () =>   // an eighth: 4 MiB
        {
            const int length = 300_011;   // 1.2 MB, a length no other test uses
            DropFilledTensor(length, 1);
            BufferPool.Reclaim();   // its array is pooled: the length is known; nothing handed out since
            DropFilledTensor(length, 2);   // served from the pool and dropped: dead, not returned (no collection yet)
            int young = GC.CollectionCount(1);
            NewArray(length);   // a miss at 2.4 of the 4 MiB: no collection yet
            Assert.Equal(young, GC.CollectionCount(1));
            BufferPool.NoteHandout(2 * MiB);
            NewArray(300_013);   // past 4 MiB, but a length never returned: no collection
            Assert.Equal(young, GC.CollectionCount(1));
            NewArray(length);   // past 4 MiB, a known length: a young collection finds the dead storages
            Assert.Equal(young + 1, GC.CollectionCount(1));
            GC.WaitForPendingFinalizers();
            long hits = BufferPool.Hits;
            var t = Tensor.Zeros(length);   // served from what the collection found
            Assert.Equal(hits + 1, BufferPool.Hits);
            GC.KeepAlive(t);
        });
    }
}
