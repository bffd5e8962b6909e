using Nabla.Engine;
using Nabla.Graphs;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Movement;
using MaxPool2dOp = Nabla.Primitives.Pool.MaxPool2d;
using MaxUnpool = Nabla.Primitives.Pool.MaxUnpool;


namespace Nabla.Tests.Graphs;

/// <summary>
/// The memory plan of a convolutional training step: im2col/col2im, unpooling and the copying reshapes of the
/// weight gradients write into kept buffers, a value read by max pooling (an op with two outputs that keeps
/// nothing) gets one, and values of one element count share a buffer whatever their shapes. Parameters and
/// the gradients the caller keeps match eager code bit for bit over several steps, and no output or gradient
/// shares memory with a buffer.
/// </summary>
public class MemoryPlanConvolutionTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static Module Cnn() => new Sequential(
        new Conv2d(1, 4, 3, padding: 1, seed: 1), new ReLU(), new Nabla.NN.MaxPool2d(2),
        new Conv2d(4, 6, 3, padding: 1, seed: 2), new ReLU(), new Nabla.NN.MaxPool2d(2),
        new Flatten(), new Linear(6 * 2 * 2, 3, seed: 3));

    static Func<Tensor, Tensor, Tensor> StepOf(Module net, Optimizer opt) => (x, y) =>
    {
        opt.ZeroGrad();
        var loss = Functional.CrossEntropy(net.Call(x), y);
        loss.Backward();
        opt.Step();
        return loss;
    };

    /// <summary>The one graph <paramref name="compiled"/> traced.</summary>
    static TracedGraph GraphOf(CompiledFunction compiled)
    {
        var traces = (System.Collections.IList)typeof(CompiledFunction).GetField("_traces", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(compiled)!;
        var trace = Assert.Single(traces);
        return (TracedGraph)trace!.GetType().GetProperty("Graph")!.GetValue(trace)!;
    }

    static Tensor Images(int seed) => Tensor.Rand([5, 1, 8, 8], seed: seed);

    static readonly Tensor Labels = Tensor.FromArray(new long[] { 0, 2, 1, 1, 0 }, [5]);

    [Fact]
    public void ATrainingStepWritesConvolutionAndPoolingValuesIntoBuffersAndMatchesEager()
    {
        var (eagerNet, compiledNet) = (Cnn(), Cnn());
        var eager = StepOf(eagerNet, new Sgd(eagerNet.Parameters(), learningRate: 0.1));
        // Without epilogue fusion, which would turn the folds and the ReLUs' gradients into fused conv ops: this test is
        // about the plain ops' into-forms.
        var compiled = Graph.Compile(StepOf(compiledNet, new Sgd(compiledNet.Parameters(), learningRate: 0.1)),
            new CompileOptions { Passes = GraphPasses.All & ~GraphPasses.Epilogues });
        Assert.Equal(F(eager(Images(0), Labels)), F(compiled.Call(Images(0), Labels)));   // the trace
        var graph = GraphOf(compiled);
        var kept = new List<(Tensor Loss, Tensor[] Grads, float[] EagerLoss, float[][] EagerGrads)>();
        for (int call = 1; call < 6; call++)
        {
            var loss = compiled.Call(Images(call), Labels);
            var eagerLoss = F(eager(Images(call), Labels));
            kept.Add((loss, [.. compiledNet.Parameters().Select(p => p.Grad!)], eagerLoss, [.. eagerNet.Parameters().Select(p => F(p.Grad!))]));
            foreach (var (e, c) in eagerNet.Parameters().Zip(compiledNet.Parameters())) Assert.Equal(F(e), F(c));
            var buffers = ReplayBuffers.For(graph, ReplayRecording.PerOp).Buffers();
            foreach (var t in kept[^1].Grads.Append(loss))
                Assert.DoesNotContain(buffers, b => b is not null && t.SharesStorage(b));
        }
        foreach (var (loss, grads, eagerLoss, eagerGrads) in kept)   // what the caller kept, after every later call
        {
            Assert.Equal(eagerLoss, F(loss));
            for (int i = 0; i < grads.Length; i++) Assert.Equal(eagerGrads[i], F(grads[i]));
        }

        var plan = ReplayBuffers.For(graph, ReplayRecording.PerOp);
        bool Writes(Func<Nabla.Primitives.Primitive, bool> kind) =>
            Enumerable.Range(0, graph.Ops.Count).Any(i => graph.Ops[i].Op is { } p && kind(p) && plan.WritesIntoBuffer(i));
        Assert.True(Writes(p => p is Unfold), "an unfold writes into a buffer");
        Assert.True(Writes(p => p is Fold), "a fold writes into a buffer");
        Assert.True(Writes(p => p is MaxUnpool), "a max_unpool writes into a buffer");
        // The weight gradient of a convolution reshapes a permuted value: a copy, which a rebuilt plan gives a buffer.
        Assert.True(Writes(p => p is Reshape), "a copying reshape writes into a buffer");
        // The ReLU before each max pooling: read only by the two-output pooling op and, in the backward, relu_backward.
        int[] reluBeforePool = [.. Enumerable.Range(0, graph.Ops.Count).Where(i => graph.Ops[i].Op is Relu &&
            graph.Ops.Any(o => o.Op is MaxPool2dOp && o.Inputs[0] == graph.Ops[i].Outputs[0]))];
        Assert.Equal(2, reluBeforePool.Length);
        Assert.All(reluBeforePool, i => Assert.True(plan.WritesIntoBuffer(i), $"relu op {i}"));
    }

    [Fact]
    public void ValuesOfOneElementCountShareABufferWhateverTheirShapes()
    {
        // [4, 6] -> transposed copy [6, 4] -> [24]: each value dies as the next is made, all of 24 elements.
        static Tensor G(Tensor x)
        {
            var a = (x * 2.0).Reshape(4, 6);
            var b = (a.Transpose(0, 1) + 1.0).Reshape(24);
            var c = (b * 3.0).Reshape(2, 12);
            return (c - 1.0).Sum();
        }
        using var noGrad = Autograd.NoGrad();
        var x0 = Tensor.Randn([24], seed: 1);
        var tracer = new Tracer([x0], ["x"], firstTrace: true, fullGraph: false);
        Tensor y0;
        using (Dispatch.Observe(tracer)) y0 = G(x0);
        var graph = tracer.Finish([y0]);
        var kept = new List<(Tensor Compiled, float[] Eager)>();
        for (int call = 0; call < 4; call++)
        {
            var x = Tensor.Randn([24], seed: 2 + call);
            kept.Add((Replay.Run(graph, [x], out _)![0], F(G(x))));
        }
        foreach (var (compiled, eager) in kept) Assert.Equal(eager, F(compiled));
        var plan = ReplayBuffers.For(graph, ReplayRecording.None);
        Assert.True(plan.PooledValues >= 4, $"pooled {plan.PooledValues}");
        Assert.Equal(2, plan.SlotCount);   // shapes [24], [4, 6], [6, 4], [2, 12]: two buffers take turns
    }
}
