using F = Nabla.NN.Functional;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// Fusion in graphs with a dynamic batch dim (CompileOptions.InputSignature with a null size): the fused ops' shape rules
/// let one trace serve every batch size with the fusions in place. Each case runs at several batch sizes (an odd one,
/// and 1, which gets a trace of its own by design) with results bitwise equal to eager code, the graph text shows the
/// fused ops, and the trace count shows no retrace.
/// </summary>
[Collection("Default generator")]
public partial class DynamicFusionTests
{
    static long[] Bits(Tensor t) => t.DType == DType.Float32
        ? [.. t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v))]
        : [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    static Tensor Data(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var values = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 4 - 2);
        return Tensor.FromArray(values, shape);
    }

    static Tensor Labels(int seed, int n, int classes) =>
        Tensor.FromArray(Enumerable.Range(0, n).Select(k => (long)((k * 7 + seed) % classes)).ToArray(), [n]);

    static CompileOptions Batch(params int?[][] shapes) => new() { InputSignature = [.. shapes.Select(s => new TensorSpec(s))] };

    /// <summary>The batch sizes each case runs at after its trace at 8 (all served by that trace); 1 comes last, traced apart.</summary>
    static readonly int[] Sizes = [8, 5, 13, 2, 8];

    /// <summary>The graph's fused ops, one line each without its site: the golden part of a long training step's text.</summary>
    static string FusedOps(string graph) => string.Concat(PassText.Ops(graph).Split('\n')
        .Where(l => FusedNames.Any(l.Contains)).Select(l => l.Trim() + "\n"));

    static readonly string[] FusedNames = ["fused_elementwise", "fused_rows", "matmul_epilogue", "conv_epilogue", "matmul_fold", "relu_backward_rows"];

    /// <summary>Runs <paramref name="call"/> at each of <see cref="Sizes"/> and then 1, asserting one trace serves every size but 1.</summary>
    static void AtEverySize(CompiledFunction f, Action<int, int> call)
    {
        for (int i = 0; i < Sizes.Length; i++) call(Sizes[i], i);
        Assert.True(f.TraceCount == 1, f.Explain());
        Assert.Contains("dynamic dims x[0] = s0 (8 when traced)", f.Explain());
        call(1, Sizes.Length);
        Assert.True(f.TraceCount == 2, f.Explain());   // size 1 gets a trace of its own (ops may treat it apart)
        Assert.Contains("x[0]: size 1", f.Explain());
    }

    static Module Mlp() => new Sequential(new Linear(12, 16, seed: 1), new ReLU(), new Linear(16, 16, seed: 2), new Tanh(), new Linear(16, 5, seed: 3));

    static Module ConvNet() => new Sequential(
        new Conv2d(2, 4, 3, padding: 1, seed: 4), new ReLU(), new Conv2d(4, 4, 3, padding: 1, seed: 5), new ReLU(),
        new MaxPool2d(2), new Flatten(), new Linear(4 * 3 * 3, 5, seed: 6));

    static Func<Tensor, Tensor, Tensor> Step(Module net, Optimizer opt) => (x, y) =>
    {
        opt.ZeroGrad();
        var loss = F.CrossEntropy(net.Call(x), y);
        loss.Backward();
        opt.Step();
        return loss;
    };

    /// <summary>A training step compiled with a dynamic batch against the same step run eagerly on a twin model: loss and parameters, bit for bit, at every size.</summary>
    static CompiledFunction TrainsLikeEager(Func<Module> model, Func<Module, Optimizer> optimizer, int[] image)
    {
        var (netC, netE) = (model(), model());
        var f = Graph.Compile(Step(netC, optimizer(netC)), Batch([null, .. image.Select(d => (int?)d)], [null]));
        var eager = Step(netE, optimizer(netE));
        AtEverySize(f, (n, i) =>
        {
            var (x, y) = (Data(100 + i, [n, .. image]), Labels(i, n, 5));
            Assert.True(Bits(eager(x, y)).SequenceEqual(Bits(f.Call(x, y))), $"batch {n}: {f.Explain()}");
            var (pe, pc) = (netE.Parameters().ToList(), netC.Parameters().ToList());
            for (int k = 0; k < pe.Count; k++) Assert.True(Bits(pe[k]).SequenceEqual(Bits(pc[k])), $"batch {n}, parameter {k}");
        });
        return f;
    }

    /// <summary>The graph of the same step compiled without dynamic dims, traced at <paramref name="x"/>'s sizes: the fusions a dynamic trace should match.</summary>
    static string FixedSizeGraph(Func<Module> model, Func<Module, Optimizer> optimizer, Tensor x, Tensor y)
    {
        var net = model();
        var f = Graph.Compile(Step(net, optimizer(net)));
        f.Call(x, y);
        return f.GraphFor(x, y);
    }

    [Fact]
    public void AnMlpTrainingStepIsFusedAndGivesEagerBitsAtEveryBatchSize()
    {
        var f = TrainsLikeEager(Mlp, net => new Sgd(net.Parameters(), 0.1), [12]);
        var (x, y) = (Data(0, 7, 12), Labels(0, 7, 5));
        Assert.Equal(MlpFusedOps, FusedOps(f.GraphFor(x, y)));
        Assert.Equal(FusedOps(FixedSizeGraph(Mlp, net => new Sgd(net.Parameters(), 0.1), x, y)), FusedOps(f.GraphFor(x, y)));
    }

    [Fact]
    public void SgdMomentumUpdatesAreFusedAcrossTheirWritesWithDynamicDimsAndGiveEagerBits()
    {
        // The first step makes the momentum buffers (its own trace, as the optimizer's state changes); from the second on
        // one dynamic trace serves every batch size, and InPlaceUpdates + fusion make each parameter's buf and p writes
        // one two-output fused op. Batch sizes avoid 5, the label count (an index bound equal to a size specializes).
        var (netC, netE) = (Mlp(), Mlp());
        Optimizer Opt(Module net) => new Sgd(net.Parameters(), 0.1, momentum: 0.9, nesterov: true);
        var f = Graph.Compile(Step(netC, Opt(netC)), Batch([null, 12], [null]));
        var eager = Step(netE, Opt(netE));
        int[] sizes = [8, 8, 6, 9, 7];
        for (int i = 0; i < sizes.Length; i++)
        {
            var (x, y) = (Data(100 + i, [sizes[i], 12]), Labels(i, sizes[i], 5));
            Assert.True(Bits(eager(x, y)).SequenceEqual(Bits(f.Call(x, y))), $"step {i}: {f.Explain()}");
            var (pe, pc) = (netE.Parameters().ToList(), netC.Parameters().ToList());
            for (int k = 0; k < pe.Count; k++) Assert.True(Bits(pe[k]).SequenceEqual(Bits(pc[k])), $"step {i}, parameter {k}");
        }
        Assert.True(f.TraceCount == 2, f.Explain());
        Assert.Contains("inplace:", f.Explain());
        Assert.Contains("(2 outputs)", f.Explain());
    }

    const string MlpFusedOps =
        "%13 = matmul_epilogue(%0, %8, %10) : [7, 16] float32 [unrecorded]\n"
        + "%19 = matmul_epilogue(%13, %14, %16) : [7, 16] float32 [unrecorded]\n"
        + "%24 = matmul_epilogue(%19, %20, %22) : [7, 5] float32 [unrecorded]\n"
        + "%77 = fused_elementwise(%75, %66) : [7] float32 [no_grad]\n"
        + "%82 = fused_rows(%80) : [7, 1] float32 [no_grad]\n"
        + "%87 = fused_elementwise(%85, %42, %80) : [7, 5] float32 [no_grad]\n"
        + "%131 = fused_elementwise(%122, %129, %2) : [16, 12] float32 [no_grad]\n"
        + "%136 = fused_elementwise(%120, %134, %3) : [16] float32 [no_grad]\n"
        + "%141 = fused_elementwise(%110, %139, %4) : [16, 16] float32 [no_grad]\n"
        + "%146 = fused_elementwise(%106, %144, %5) : [16] float32 [no_grad]\n"
        + "%151 = fused_elementwise(%96, %149, %6) : [5, 16] float32 [no_grad]\n"
        + "%156 = fused_elementwise(%92, %154, %7) : [5] float32 [no_grad]\n";

    [Fact]
    public void AConvNetTrainingStepIsFusedAndGivesEagerBitsAtEveryBatchSize()
    {
        var f = TrainsLikeEager(ConvNet, net => new Adam(net.Parameters(), learningRate: 0.01), [2, 6, 6]);
        var (x, y) = (Data(0, 7, 2, 6, 6), Labels(0, 7, 5));
        Assert.Equal(ConvFusedOps, FusedOps(f.GraphFor(x, y)));
        Assert.Equal(FusedOps(FixedSizeGraph(ConvNet, net => new Adam(net.Parameters(), learningRate: 0.01), x, y)), FusedOps(f.GraphFor(x, y)));
    }

    const string ConvFusedOps =
        "%18 = conv_epilogue(%10, %9, %13) : [7, 4, 6, 6] float32 [unrecorded]\n"
        + "%29 = conv_epilogue(%21, %20, %24) : [7, 4, 6, 6] float32 [unrecorded]\n"
        + "%38 = matmul_epilogue(%33, %34, %36) : [7, 5] float32 [unrecorded]\n"
        + "%91 = fused_elementwise(%89, %80) : [7] float32 [no_grad]\n"
        + "%96 = fused_rows(%94) : [7, 1] float32 [no_grad]\n"
        + "%101 = fused_elementwise(%99, %56, %94) : [7, 5] float32 [no_grad]\n"
        + "%121 = relu_backward_rows(%118, %29) : [4, 252] float32 [no_grad]\n"
        + "%136 = matmul_fold(%130, %127) : [7, 4, 6, 6] float32 [no_grad]\n"
        + "%139 = relu_backward_rows(%136, %18) : [4, 252] float32 [no_grad]\n";

    [Fact]
    public void AMeansSizeReadMovesOnlyAlongItsOwnChain()
    {
        // w has x's traced shape [4, 4] but keeps it at every size: the mean of x·2 must divide by x's element count.
        static Tensor F(Tensor w, Tensor x) => (x * 2f).Mean() + w.Sum();
        var f = Graph.Compile(F, Batch([4, 4], [null, 4]));
        var w = Tensor.Zeros([4, 4]);
        f.Call(w, Tensor.Ones([4, 4]));
        var x = Tensor.FromArray(Enumerable.Range(0, 28).Select(v => (float)v).ToArray(), [7, 4]);
        Assert.Equal([27f], f.Call(w, x).ToArray<float>());   // 2 · mean(0..27) = 27
        Assert.True(f.TraceCount == 1, f.Explain());
        Assert.Contains("size read", f.Explain());
    }

    [Fact]
    public void EqualOpsMergeInADynamicGraph()
    {
        static Tensor F(Tensor x) => x.Exp().Sum(1) * x.Exp().Sum(1);
        var f = Graph.Compile(F, Batch([null, 3]));
        foreach (int n in new[] { 4, 9, 2 })
        {
            var x = Data(n, n, 3);
            Assert.Equal(Bits(F(x)), Bits(f.Call(x)));
        }
        Assert.True(f.TraceCount == 1, f.Explain());
        Assert.Contains("cse: merged 2 value(s)", f.Explain());
    }

    [Fact]
    public void ACallWithATapeOpenAtAnotherSizeReplaysTheGraphAsTraced()
    {
        // The fused op's own gradient would sum x's two contributions in another order than eager code: a tape gets the
        // graph as traced, generalized to the call's size, and records add's node as eager code does.
        static Tensor G(Tensor x) => x * x + x.Exp();
        var f = Graph.Compile(G, Batch([null, 4]));
        f.Call(Data(1, 8, 4));
        Assert.Contains("fuse: fused 1 group(s) of 3 ops", f.Explain());
        var x = Data(2, 5, 4);
        Tensor compiled, eager, gc, ge;
        using (var tape = new GradientTape())
        {
            tape.Watch(x);
            compiled = f.Call(x);
            gc = tape.Gradient(compiled.Sum(), x)!;
        }
        using (var tape = new GradientTape())
        {
            tape.Watch(x);
            eager = G(x);
            ge = tape.Gradient(eager.Sum(), x)!;
        }
        Assert.Equal("AddBackward", compiled.GradFn?.Name);
        Assert.Equal(Bits(eager), Bits(compiled));
        Assert.Equal(Bits(ge), Bits(gc));
        Assert.True(f.TraceCount == 1, f.Explain());
    }
}
