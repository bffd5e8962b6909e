using System.Runtime.CompilerServices;
using Nabla.Backends;
using Nabla.Backends.Cpu;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.Autodiff;
using static Nabla.Tests.Backends.PoolProbe;

namespace Nabla.Tests.Backends;

/// <summary>
/// The storage pool reuses a dead tensor's array only when no running code can still hold it. These
/// tests run alone (they force GCs and watch which array a new tensor gets); the lengths are odd sizes
/// no other test allocates.
/// </summary>
[Collection(nameof(MemoryCollection))]
public class BufferPoolTests
{
    [Fact]
    public void DeadStorageArrayIsReusedAfterCollection()
    {
        const int n = 40_013;                       // 160 KB of float32: pooled
        var first = DropFilledTensor(n, 3);
        CollectAndFinalize();
        Assert.Same(first, NewArray(n));
    }

    [Fact]
    public void ZeroedTensorFromReusedArrayHoldsZeros()
    {
        const int n = 40_031;
        var first = DropFilledTensor(n, 7);
        CollectAndFinalize();
        var zeros = Tensor.Zeros([n]);
        using (RawAccess.Enter()) Assert.Same(first, zeros.Data<float>());
        Assert.All(zeros.ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ArrayIsNotReusedWhileAScopeThatMightHoldItIsActive()
    {
        const int n = 40_039;
        float[] first;
        using (RawAccess.Enter())
        {
            // Code in this scope could still be reading the array after its tensor died...
            first = DropFilledTensor(n, 1);
            CollectAndFinalize();
            // ...so no new tensor may get it, on this thread or any other.
            Assert.NotSame(first, NewArray(n));
            float[]? other = null;
            var thread = new Thread(() => other = NewArray(n));
            thread.Start();
            thread.Join();
            Assert.NotSame(first, other);
        }
        // Once the scope has ended, nothing can hold it. NB: the two arrays handed out in the scope belong to dead tensors
        // too, and a collection (another test's, or the pool's own on a miss) may have pooled them after `first`; so
        // `first` is one of the next three arrays of this length, each kept by a live tensor so none comes back twice.
        CollectAndFinalize();
        var held = Enumerable.Range(0, 3).Select(_ => CpuTensor.Empty(DType.Float32, new Shape(n))).ToList();
        using (RawAccess.Enter()) Assert.Contains(held, t => ReferenceEquals(t.Data<float>(), first));
        GC.KeepAlive(held);
    }

    [Fact]
    public void FullPoolEvictsItsOldestArraysForNewOnes()
    {
        long limit = BufferPool.LimitBytes;
        try
        {
            BufferPool.LimitBytes = 2 << 20;            // room for 13 arrays of 160 KB (8x one is 1.3 MB)
            BufferPool.Reclaim();                       // forgets the largest array of an earlier test (else 8x it is the limit)
                                                        // and starts a cycle: two short cycles with little back would raise it
            var old = Enumerable.Range(0, 13).Select(i => DropFilledTensor(40_063 + i, 1)).ToArray();
            CollectAndFinalize();
            var newest = DropFilledTensor(40_093, 1);
            CollectAndFinalize();
            Assert.Same(newest, NewArray(40_093));      // admitted although the pool was full
            Assert.True(BufferPool.PooledBytes <= BufferPool.LimitBytes);
            Assert.Equal(BufferPool.LimitBytes, BufferPool.EffectiveLimit);
        }
        finally { BufferPool.LimitBytes = limit; }
    }

    [Fact]
    public void LimitGrowsToEightTimesTheLargestArray()
    {
        BufferPool.ForgetLargest();
        Assert.Equal(BufferPool.LimitBytes, BufferPool.EffectiveLimit);
        DropFilledTensor(10_000_019, 1);            // 40 MB
        Assert.Equal(Math.Max(BufferPool.LimitBytes, Math.Min(8L * 10_000_019 * sizeof(float), BufferPool.MemoryCap)), BufferPool.EffectiveLimit);
        BufferPool.ForgetLargest();
    }

    [Fact]
    public void SmallArraysAreNotPooled()
    {
        const int n = 1_001;                        // 4 KB
        var first = DropFilledTensor(n, 2);
        CollectAndFinalize();
        Assert.NotSame(first, NewArray(n));
    }

    sealed class UsesTensorInFinalizer
    {
        public static Exception? Seen;
        readonly Tensor t = Tensor.Ones([3]);
        ~UsesTensorInFinalizer()
        {
            try { _ = t.Sum(); }
            catch (Exception e) { Seen = e; }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void MakeFinalizerUser() => _ = new UsesTensorInFinalizer();

    [Fact]
    public void UsingATensorFromAFinalizerThrows()
    {
        DropFilledTensor(40_049, 1);
        CollectAndFinalize();                       // a pool lease has run on the finalizer thread
        UsesTensorInFinalizer.Seen = null;
        MakeFinalizerUser();
        CollectAndFinalize();
        var e = Assert.IsType<InvalidOperationException>(UsesTensorInFinalizer.Seen);
        Assert.Contains("finalizer", e.Message);
    }

    [Fact]
    public void ConcurrentOpsUnderFrequentCollectionsNeverSeeAnotherTensorsData()
    {
        // Four threads each compute (x * k + k) - x * k = k elementwise on pooled-size tensors, dropping
        // every intermediate, while a fifth forces GCs; an array handed to two live tensors at once would
        // show up as a wrong value.
        const int n = 9_001;                        // 36 KB
        long hitsBefore = BufferPool.Hits;
        bool stop = false;
        var collector = new Thread(() => { while (!Volatile.Read(ref stop)) { GC.Collect(); Thread.Sleep(1); } });
        var failures = new string?[5];
        var workers = Enumerable.Range(1, 4).Select(k => new Thread(() =>
        {
            var x = Tensor.Arange(n).To(DType.Float32) * (1f / n);
            for (int i = 0; i < 300 && failures[k] is null; i++)
            {
                var values = ((x * k + k) - x * k).ToArray<float>();
                for (int j = 0; j < n; j++)
                    if (Math.Abs(values[j] - k) > 1e-5f) { failures[k] = $"thread {k} step {i} element {j}: {values[j]}"; break; }
            }
        })).ToArray();
        collector.Start();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        Volatile.Write(ref stop, true);
        collector.Join();
        Assert.All(failures, f => Assert.Null(f));
        Assert.True(BufferPool.Hits > hitsBefore);
    }

    [Fact]
    public void TrainingGivesBitwiseTheSameParametersWithAndWithoutThePool()
    {
        float[][] Train()
        {
            var model = new Sequential(new Linear(64, 256, seed: 1), new ReLU(), new Linear(256, 10, seed: 2));
            var opt = new Adam(model.Parameters(), learningRate: 1e-2);
            var x = Tensor.Rand([64, 64], seed: 3);
            var labels = Tensor.RandInt(0, 10, [64], seed: 4);
            for (int step = 0; step < 20; step++)
            {
                opt.ZeroGrad();
                Functional.CrossEntropy(model.Call(x), labels).Backward();
                opt.Step();
                if (step % 5 == 0) CollectAndFinalize();
            }
            return model.Parameters().Select(p => p.ToArray<float>()).ToArray();
        }
        var pooled = Train();
        BufferPool.Enabled = false;
        try
        {
            var fresh = Train();
            Assert.Equal(fresh.Length, pooled.Length);
            for (int i = 0; i < fresh.Length; i++) Assert.Equal(fresh[i], pooled[i]);
        }
        finally { BufferPool.Enabled = true; }
    }
}
