using System.Runtime.CompilerServices;

namespace Nabla.Tests.Autodiff;

/// <summary>Heap measurements are meaningless while other tests allocate, so these run alone.</summary>
[CollectionDefinition(nameof(MemoryCollection), DisableParallelization = true)]
public class MemoryCollection;

/// <summary>No Dispose is needed: a training loop holds flat memory and graphs are freed by backward.</summary>
[Collection(nameof(MemoryCollection))]
public class MemoryTests
{
    static Tensor Uniform(int seed, int[] shape, double scale)
    {
        var rng = new Random(seed);
        var n = shape.Aggregate(1, (a, b) => a * b);
        var data = new double[n];
        for (int i = 0; i < n; i++) data[i] = scale * (2 * rng.NextDouble() - 1);
        return Tensor.FromArray(data, shape);
    }

    /// <summary>Managed bytes still referenced after a full collection (the pool's free arrays excluded).</summary>
    static long CollectedHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        // Arrays waiting in the storage pool are free memory kept for reuse (bounded by its limit),
        // not tensors kept alive; what is left is what the program still references.
        return GC.GetTotalMemory(forceFullCollection: true) - Nabla.Backends.BufferPool.PooledBytes;
    }

    [Fact]
    public void TrainingLoopWithoutDisposeHoldsFlatMemory()
    {
        // A 64-64-1 tanh MLP on 32 samples: each step allocates ~100 KB of tensors (activations,
        // gradients, new weights), so keeping even one step's graph alive per step would grow the heap
        // by ~20 MB over the 200 steps measured; 1 MB of slack is far below that.
        var x = Uniform(1, [32, 64], 1);
        var target = Uniform(2, [32, 1], 0.5);
        var w1 = Uniform(3, [64, 64], 0.2);
        var w2 = Uniform(4, [64, 1], 0.2);
        w1.RequiresGrad = true;
        w2.RequiresGrad = true;
        double firstLoss = 0, lastLoss = 0;
        long after100 = 0;
        for (int step = 1; step <= 300; step++)
        {
            var h = x.MatMul(w1).Tanh();
            var diff = h.MatMul(w2).Tanh() - target;
            var loss = (diff * diff).Sum();
            loss.Backward();
            using (Autograd.NoGrad())
            {
                w1 = (w1 - 0.01 * w1.Grad!).Detach();
                w2 = (w2 - 0.01 * w2.Grad!).Detach();
            }
            w1.RequiresGrad = true;
            w2.RequiresGrad = true;
            lastLoss = loss.Item<double>();
            if (step == 1) firstLoss = lastLoss;
            if (step == 100) after100 = CollectedHeap();
        }
        long after300 = CollectedHeap();
        Assert.True(lastLoss < 0.5 * firstLoss, $"the loop should train: loss {firstLoss} -> {lastLoss}");
        Assert.True(after300 - after100 < 1_000_000,
            $"managed heap grew by {after300 - after100} bytes between step 100 ({after100}) and step 300 ({after300}).");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static (Tensor Loss, WeakReference Activation, WeakReference Node) BuildGraph(Tensor x, Tensor w)
    {
        var a = x.MatMul(w).Tanh();
        return (a.Sum(), new WeakReference(a), new WeakReference(a.GradFn));
    }

    [Fact]
    public void BackwardReleasesSavedTensors()
    {
        var x = Uniform(5, [4, 8], 1);
        var w = Uniform(6, [8, 8], 1);
        w.RequiresGrad = true;
        var (loss, activation, _) = BuildGraph(x, w);
        CollectedHeap();
        Assert.True(activation.IsAlive);  // saved by TanhBackward, reachable from the loss

        loss.Backward();
        CollectedHeap();
        Assert.False(activation.IsAlive);  // freed by backward although the loss is still referenced
        GC.KeepAlive(loss);
        Assert.NotNull(w.Grad);
    }

    [Fact]
    public void GraphIsCollectedOnceUnreferenced()
    {
        var x = Uniform(7, [4, 8], 1);
        var w = Uniform(8, [8, 8], 1);
        w.RequiresGrad = true;
        var node = Run(x, w);
        CollectedHeap();
        Assert.False(node.IsAlive);  // the leaf (and its AccumulateGrad) does not keep the graph alive

        [MethodImpl(MethodImplOptions.NoInlining)]
        static WeakReference Run(Tensor x, Tensor w)
        {
            var (loss, _, n) = BuildGraph(x, w);
            loss.Backward(retainGraph: true);
            return n;
        }
    }
}
