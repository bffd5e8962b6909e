using Nabla.Backends;
using Nabla.Backends.Cpu.Kernels;
using Nabla.Graphs;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Primitives.Movement;
using MaxPool2dOp = Nabla.Primitives.Pool.MaxPool2d;

namespace Nabla.Tests.Graphs;

/// <summary>
/// Two rules of the memory plan for training steps: a call with several outputs that records nothing (max pooling's
/// values and positions) writes each output into a kept buffer (its kernel's into-form), and with grad on, an op none
/// of whose inputs may require grad (the first convolution's im2col of the input batch) is as quiet as one that
/// records nothing, so its value gets a buffer too. Parameters, losses and the gradients the caller keeps match eager
/// code bit for bit over several steps, with epilogue fusion on (the default passes), and none shares a buffer.
/// </summary>
public class MemoryPlanSeveralOutputsTests
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

    static TracedGraph GraphOf(CompiledFunction compiled)
    {
        var traces = (System.Collections.IList)typeof(CompiledFunction).GetField("_traces", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(compiled)!;
        var trace = Assert.Single(traces);
        return (TracedGraph)trace!.GetType().GetProperty("Graph")!.GetValue(trace)!;
    }

    static Tensor Images(int seed) => Tensor.Rand([5, 1, 8, 8], seed: seed);

    static readonly Tensor Labels = Tensor.FromArray(new long[] { 0, 2, 1, 1, 0 }, [5]);

    [Fact]
    public void MaxPoolingAndTheInputsIm2colWriteIntoBuffersAndAStepMatchesEager()
    {
        var (eagerNet, compiledNet) = (Cnn(), Cnn());
        var eager = StepOf(eagerNet, new Adam(eagerNet.Parameters(), learningRate: 0.01));
        var compiled = Graph.Compile(StepOf(compiledNet, new Adam(compiledNet.Parameters(), learningRate: 0.01)));
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
        int[] pools = [.. Enumerable.Range(0, graph.Ops.Count).Where(i => graph.Ops[i].Op is MaxPool2dOp)];
        Assert.Equal(2, pools.Length);
        Assert.All(pools, i => Assert.True(plan.WritesIntoBuffers(i), $"max_pool2d op {i} writes both outputs into buffers"));
        // The batch does not require grad: its im2col records nothing, whatever the trace marked.
        int input = graph.Parameters[0];
        int unfold = graph.Ops.FindIndex(o => o.Op is Unfold && o.Inputs[0] == input);
        Assert.True(unfold >= 0, "the first convolution unfolds the batch");
        Assert.True(graph.Ops[unfold].RecordsForCaller, "the trace leaves the op marked as recording (the rule under test)");
        Assert.True(plan.WritesIntoBuffer(unfold), "the batch's im2col writes into a buffer");
    }

    [Fact]
    public void OpsOnTheInputBatchAloneWriteIntoBuffersInAStepWithGradOn()
    {
        static Func<Tensor, Tensor, Tensor> Step(Module net, Optimizer opt) => (x, y) =>
        {
            opt.ZeroGrad();
            var features = (x * 2.0 - 1.0).Tanh().Reshape(5, 64);   // on the batch only
            var loss = Functional.CrossEntropy(net.Call(features), y);
            loss.Backward();
            opt.Step();
            return loss;
        };
        static Module Net() => new Sequential(new Linear(64, 8, seed: 4), new ReLU(), new Linear(8, 3, seed: 5));
        var (eagerNet, compiledNet) = (Net(), Net());
        var eager = Step(eagerNet, new Sgd(eagerNet.Parameters(), learningRate: 0.1));
        // Without elementwise fusion: the plain ops' into-forms write into buffers whatever a fused program's kernel takes.
        var compiled = Graph.Compile(Step(compiledNet, new Sgd(compiledNet.Parameters(), learningRate: 0.1)),
            new CompileOptions { Passes = GraphPasses.All & ~GraphPasses.Fusion });
        for (int call = 0; call < 5; call++)
        {
            Assert.Equal(F(eager(Images(call), Labels)), F(compiled.Call(Images(call), Labels)));
            foreach (var (e, c) in eagerNet.Parameters().Zip(compiledNet.Parameters())) Assert.Equal(F(e), F(c));
        }
        var graph = GraphOf(compiled);
        var plan = ReplayBuffers.For(graph, ReplayRecording.PerOp);
        int input = graph.Parameters[0];
        int[] readers = [.. Enumerable.Range(0, graph.Ops.Count).Where(i => graph.Ops[i].Kind == GraphOpKind.Call && graph.Ops[i].Inputs.Contains(input))];
        Assert.NotEmpty(readers);
        Assert.All(readers, i => Assert.True(plan.WritesIntoBuffer(i), $"op {i} ({graph.Ops[i].Op!.Name}) on the batch writes into a buffer"));
    }

    [Fact]
    public void MaxPoolingsIntoFormWritesWhatItsKernelMakesAndRefusesOutputsThatDoNotFit()
    {
        var x = Tensor.Randn([2, 3, 6, 6], seed: 7);
        var op = new MaxPool2dOp(new Im2Col(3, 6, 6, 2, 2, 2, 2, 0, 0, 1, 1));
        using (RawAccess.Enter())
        {
            var expected = MaxPool2dKernel.Run(op, x);
            var (y, index) = (Tensor.Zeros(2, 3, 3, 3), Tensor.Zeros([2, 3, 9], DType.Int32));
            var made = MaxPool2dKernel.RunInto(op, x, [y, index]);
            Assert.NotNull(made);
            Assert.Same(y, made[0]);
            Assert.Same(index, made[1]);
            Assert.Equal(F(expected[0]), F(y));
            Assert.Equal(expected[1].ToArray<int>(), index.ToArray<int>());
            var onlyIndex = MaxPool2dKernel.RunInto(op, x, [null, Tensor.Zeros([2, 3, 9], DType.Int32)])!;
            Assert.Equal(F(expected[0]), F(onlyIndex[0]));

            var untouched = Tensor.Full([2, 3, 3, 3], 5f);
            Assert.Null(MaxPool2dKernel.RunInto(op, x, [untouched, Tensor.Zeros([2, 3, 9], DType.Float32)]));   // positions are int32
            Assert.Null(MaxPool2dKernel.RunInto(op, x, [untouched, Tensor.Zeros([2, 3, 8], DType.Int32)]));     // wrong shape
            Assert.Null(MaxPool2dKernel.RunInto(op, x, [x.Narrow(2, 0, 3).Narrow(3, 0, 3), null]));   // a strided view of the input
            Assert.All(F(untouched), v => Assert.Equal(5f, v));   // nothing written when refused
        }
    }
}
