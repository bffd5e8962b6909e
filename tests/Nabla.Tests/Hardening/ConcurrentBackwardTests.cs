using System.Collections.Concurrent;

namespace Nabla.Tests.Hardening;

/// <summary>
/// Backward passes on several threads at once, as PyTorch allows: graphs that share a leaf (Hogwild-style
/// training) and a shared subgraph walked with retainGraph. Every contribution is a small integer, so the
/// float32 sums are exact and a lost update shows as a wrong number, not as a tolerance question.
/// </summary>
public class ConcurrentBackwardTests
{
    /// <summary>Runs <paramref name="body"/>(thread index) on that many threads released together; rethrows the first failure.</summary>
    static void RunTogether(int threads, Action<int> body)
    {
        using var start = new Barrier(threads);
        var failures = new ConcurrentQueue<Exception>();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                body(t);
            }
            catch (Exception e) { failures.Enqueue(e); }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        if (failures.TryDequeue(out var first)) throw new AggregateException(first);
    }

    [Theory]
    [InlineData(4, 200)]
    [InlineData(8, 150)]
    public void ConcurrentBackwardIntoOneLeafLosesNoGradient(int threads, int passes)
    {
        // Each thread's own graph sends c = thread + 1 into every element of the shared leaf per pass.
        float expected = passes * threads * (threads + 1) / 2;
        for (int round = 0; round < 3; round++)
        {
            var w = Tensor.Zeros([4], requiresGrad: true);
            RunTogether(threads, t =>
            {
                var c = Tensor.Full([4], t + 1);
                for (int i = 0; i < passes; i++) (w * c).Sum().Backward();
            });
            Assert.Equal([expected, expected, expected, expected], w.Grad!.ToArray<float>());
        }
    }

    [Fact]
    public void PostAccumulateHooksSeeEachPassesSumExactlyOnce()
    {
        // The hook runs under the leaf's lock right after its own pass's addition, so with a gradient of
        // 1 per pass the hooks together see 1, 2, ..., N: each partial sum once, none skipped or repeated.
        const int threads = 4, passes = 100;
        var w = Tensor.Zeros([2], requiresGrad: true);
        var seen = new ConcurrentBag<float>();
        using (w.RegisterPostAccumulateGradHook(p => seen.Add(p.Grad!.ToArray<float>()[0])))
            RunTogether(threads, _ =>
            {
                var one = Tensor.Ones([2]);
                for (int i = 0; i < passes; i++) (w * one).Sum().Backward();
            });
        Assert.Equal(Enumerable.Range(1, threads * passes).Select(i => (float)i), seen.OrderBy(v => v));
        Assert.Equal([400f, 400f], w.Grad!.ToArray<float>());
    }

    [Fact]
    public void SharedSubgraphWithRetainGraphSumsEveryThreadsPass()
    {
        // h = 2w is one node shared by every thread's graph; PyTorch allows concurrent passes through it
        // with retain_graph. h retains its gradient, so its hook also runs concurrently.
        const int threads = 4, passes = 100;
        var w = Tensor.FromArray(new float[] { 1, 2, 3 }, [3], requiresGrad: true);
        var h = w * 2.0;
        h.RetainGrad();
        RunTogether(threads, t =>
        {
            var c = Tensor.Full([3], t + 1);
            for (int i = 0; i < passes; i++) (h * c).Sum().Backward(retainGraph: true);
        });
        // dL/dh = Σ_t (t + 1) * passes = 1000; dL/dw = 2 * 1000.
        Assert.Equal([1000f, 1000f, 1000f], h.Grad!.ToArray<float>());
        Assert.Equal([2000f, 2000f, 2000f], w.Grad!.ToArray<float>());
    }

    [Fact]
    public void SharedSubgraphWithoutRetainGraphRunsOrGivesTheSecondTimeError()
    {
        // Two passes race through h = w * w without retainGraph. As in PyTorch, the one that reaches h's
        // node after the other freed it fails with the "backward a second time" error; nothing else may
        // happen (no half-freed saved tensors), and the passes that ran added exactly their share.
        for (int round = 0; round < 100; round++)
        {
            var w = Tensor.FromArray(new float[] { 1, 2 }, [2], requiresGrad: true);
            var h = w * w;
            var failed = new ConcurrentBag<int>();
            RunTogether(2, t =>
            {
                try { (h * (double)(t + 1)).Sum().Backward(); }
                catch (InvalidOperationException e) when (e.Message.Contains("second time")) { failed.Add(t); }
            });
            Assert.True(failed.Count <= 1, "only a pass that starts after another finished can find the graph freed");
            // Each pass that ran adds (t + 1) * 2w = (t + 1) * [2, 4].
            float share = Enumerable.Range(0, 2).Where(t => !failed.Contains(t)).Sum(t => t + 1);
            Assert.Equal([2 * share, 4 * share], w.Grad!.ToArray<float>());
        }
    }

    /// <summary>y = x², with backward 2x·gy from the saved input (a custom node that frees saved state).</summary>
    sealed class Square : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] x)
        {
            ctx.SaveForBackward(x[0]);
            return [x[0] * x[0]];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gy) => [gy[0] * 2.0 * ctx.SavedTensors[0]];
    }

    [Fact]
    public void SharedCustomFunctionNodeRunsOrGivesTheSecondTimeError()
    {
        // As the built-in case above, through a custom function: its context may be freed by the other pass
        // while this one reads its saved tensors; that must be the "second time" error, never another one.
        for (int round = 0; round < 100; round++)
        {
            var w = Tensor.FromArray(new float[] { 1, 2 }, [2], requiresGrad: true);
            var h = new Square().Apply(w);
            var failed = new ConcurrentBag<int>();
            RunTogether(2, t =>
            {
                try { (h * (double)(t + 1)).Sum().Backward(); }
                catch (InvalidOperationException e) when (e.Message.Contains("second time")) { failed.Add(t); }
            });
            Assert.True(failed.Count <= 1);
            float share = Enumerable.Range(0, 2).Where(t => !failed.Contains(t)).Sum(t => t + 1);
            Assert.Equal([2 * share, 4 * share], w.Grad!.ToArray<float>());
        }
    }

    [Fact]
    public void LeafRecordedOnManyThreadsAtOnceHasOneAccumulator()
    {
        // Threads that record their first op on a fresh leaf at the same moment must share one
        // accumulator (the lock and the hooks live there), else passes add into .Grad unserialized.
        for (int round = 0; round < 50; round++)
        {
            var w = Tensor.Zeros([3], requiresGrad: true);
            var nodes = new ConcurrentBag<Engine.GradNode>();
            RunTogether(4, _ => nodes.Add((w * 1.0).GradFn!.NextFunctions[0].Node!));
            Assert.Single(nodes.Distinct());
        }
    }
}
