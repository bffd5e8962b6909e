using Nabla.Backends.Cpu.Kernels.Codegen;
using Nabla.Engine;
using Nabla.Graphs;
using Nabla.Primitives.Elementwise;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// The InPlaceUpdates pass: an update written as in-place ops on captured tensors (SGD momentum's
/// <c>buf.MulInPlace(m).AddInPlace(g)</c>, <c>p.AddInPlace(buf * -lr)</c>) becomes one fused op whose outputs go straight
/// into the tensors, with eager code's bits over several steps; where another tensor may share the written memory, or
/// something reads it between the writes, the writes stay where they were.
/// </summary>
public partial class InPlaceUpdateTests
{
    static Tensor Data(int n, int seed, double low = -2, double high = 2)
    {
        var rng = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float)(low + rng.NextDouble() * (high - low));
        return Tensor.FromArray(values, [n]);
    }

    static int[] Bits(Tensor t) => [.. t.ToArray<float>().Select(BitConverter.SingleToInt32Bits)];

    /// <summary>SGD with momentum, by hand on two captured tensors: the update of <see cref="Optim.Sgd"/>.</summary>
    sealed class Momentum(Tensor p, Tensor buf)
    {
        public Tensor P => p;
        public Tensor Buf => buf;

        /// <summary>One step with gradient <paramref name="x"/>, copied first as a backward pass makes a new one (an argument
        /// might be buf itself, so nothing may move across its reads: <see cref="AnArgumentMayBeTheWrittenTensor"/>).</summary>
        public Tensor Step(Tensor x)
        {
            using var noGrad = Autograd.NoGrad();
            var g = x.Clone();
            buf.MulInPlace(0.9).AddInPlace(g * 0.5);
            p.AddInPlace(buf * -0.1);
            return g.Sum();
        }
    }

    static (Momentum Eager, Momentum Compiled) Pair(int n) =>
        (new Momentum(Data(n, 1), Data(n, 2)), new Momentum(Data(n, 1), Data(n, 2)));

    /// <summary>Runs <paramref name="steps"/> steps both ways, comparing results, parameter and buffer bit for bit.</summary>
    static void AssertSameSteps(Momentum eager, Momentum compiled, Func<Tensor, Tensor> call, int n, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            var g = Data(n, 10 + i);
            Assert.Equal(Bits(eager.Step(g)), Bits(call(g)));
            Assert.Equal(Bits(eager.P), Bits(compiled.P));
            Assert.Equal(Bits(eager.Buf), Bits(compiled.Buf));
        }
    }

    [Fact]
    public void MomentumUpdateReadsAssignedValuesAndWritesOnce()
    {
        var (eager, compiled) = Pair(5);
        var cf = Graph.Compile(compiled.Step, new CompileOptions { Passes = GraphPasses.All & ~GraphPasses.Fusion });
        AssertSameSteps(eager, compiled, g => cf.Call(g), 5, 3);
        Assert.Equal("""
            graph Step(%0 x: [5] float32)
              %5 = capture tensor : [5] float32
              %16 = capture tensor : [5] float32
              %1 = clone(%0) : [5] float32 [no_grad]
              %2 = full() : [] float32 [no_grad]
              %3 = reshape(%2) : [1] float32 [no_grad]
              %4 = expand(%3) : [5] float32 [no_grad]
              %6 = mul(%5, %4) : [5] float32 [no_grad]
              assign(%5, %6)  writes %5 [no_grad]
              %7 = full() : [] float32 [no_grad]
              %8 = reshape(%7) : [1] float32 [no_grad]
              %9 = expand(%8) : [5] float32 [no_grad]
              %10 = mul(%1, %9) : [5] float32 [no_grad]
              %11 = add(%5, %10) : [5] float32 [no_grad]
              assign(%5, %11)  writes %5 [no_grad]
              %12 = full() : [] float32 [no_grad]
              %13 = reshape(%12) : [1] float32 [no_grad]
              %14 = expand(%13) : [5] float32 [no_grad]
              %15 = mul(%5, %14) : [5] float32 [no_grad]
              %17 = add(%16, %15) : [5] float32 [no_grad]
              assign(%16, %17)  writes %16 [no_grad]
              %18 = sum(%1) : [] float32 [no_grad]
              return %18

            """.Replace("\r", ""), PassText.Ops(cf.TracedGraphFor(Data(5, 0))));
        // buf's first value is only read by the add (it reads %5), so its assignment goes; buf's last value is read by
        // p's update (it reads %10), so its assignment moves after it: no write left between the ops.
        Assert.Equal("""
            graph Step(%0 x: [5] float32)
              %5 = capture tensor : [5] float32
              %16 = capture tensor : [5] float32
              %1 = clone(%0) : [5] float32 [no_grad]
              %2 = full() : [] float32 [no_grad]
              %3 = reshape(%2) : [1] float32 [no_grad]
              %4 = expand(%3) : [5] float32 [no_grad]
              %6 = mul(%5, %4) : [5] float32 [no_grad]
              %7 = full() : [] float32 [no_grad]
              %8 = reshape(%7) : [1] float32 [no_grad]
              %9 = expand(%8) : [5] float32 [no_grad]
              %10 = mul(%1, %9) : [5] float32 [no_grad]
              %11 = add(%6, %10) : [5] float32 [no_grad]
              %12 = full() : [] float32 [no_grad]
              %13 = reshape(%12) : [1] float32 [no_grad]
              %14 = expand(%13) : [5] float32 [no_grad]
              %15 = mul(%11, %14) : [5] float32 [no_grad]
              %17 = add(%16, %15) : [5] float32 [no_grad]
              assign(%16, %17)  writes %16 [no_grad]
              assign(%5, %11)  writes %5 [no_grad]
              %18 = sum(%1) : [] float32 [no_grad]
              return %18

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(Data(5, 0))));
        Assert.Contains("inplace: 2 read(s) of assigned tensors read the assigned values, dropped 1 overwritten assignment(s), moved 1 assignment(s) down", cf.Explain());
    }

    [Fact]
    public void MomentumUpdateBecomesOneOpWithTwoOutputs()
    {
        var (eager, compiled) = Pair(5);
        var cf = Graph.Compile(compiled.Step);
        AssertSameSteps(eager, compiled, g => cf.Call(g), 5, 3);
        Assert.Equal("""
            graph Step(%0 x: [5] float32)
              %5 = capture tensor : [5] float32
              %16 = capture tensor : [5] float32
              %1 = clone(%0) : [5] float32 [no_grad]
              %2 = full() : [] float32 [no_grad]
              %3 = reshape(%2) : [1] float32 [no_grad]
              %4 = expand(%3) : [5] float32 [no_grad]
              %7 = full() : [] float32 [no_grad]
              %8 = reshape(%7) : [1] float32 [no_grad]
              %9 = expand(%8) : [5] float32 [no_grad]
              %12 = full() : [] float32 [no_grad]
              %13 = reshape(%12) : [1] float32 [no_grad]
              %14 = expand(%13) : [5] float32 [no_grad]
              %11, %17 = fused_elementwise(%5, %4, %1, %9, %14, %16) : [5] float32, [5] float32 [no_grad]
              assign(%16, %17)  writes %16 [no_grad]
              assign(%5, %11)  writes %5 [no_grad]
              %18 = sum(%1) : [] float32 [no_grad]
              return %18

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(Data(5, 0))));
        Assert.Contains("fuse: fused 1 group(s) of 5 ops: [mul mul add mul add] (2 outputs)", cf.Explain());
    }

    [Fact]
    public void WithoutThePassTheWritesSplitTheUpdate()
    {
        var (eager, compiled) = Pair(5);
        var cf = Graph.Compile(compiled.Step, new CompileOptions { Passes = GraphPasses.All & ~GraphPasses.InPlaceUpdates });
        AssertSameSteps(eager, compiled, g => cf.Call(g), 5, 3);
        Assert.DoesNotContain("inplace:", cf.Explain());
        Assert.DoesNotContain("outputs)", cf.Explain());
        Assert.Equal(3, PassText.Ops(cf.GraphFor(Data(5, 0))).Split('\n').Count(l => l.Contains("assign(")));
    }

    /// <summary>A trace of <paramref name="f"/> rewritten by every pass, as Graph.Compile makes it, to replay by hand.</summary>
    static TracedGraph Optimized(Func<Tensor, Tensor> f, Tensor x)
    {
        var tracer = new Tracer([x], ["x"], firstTrace: true, fullGraph: false);
        Tensor y;
        using (Dispatch.Observe(tracer)) y = f(x);
        var graph = tracer.Finish([y]);
        Nabla.Graphs.Passes.PassPipeline.Run(graph, tracer.TracedTensors, GraphPasses.All, dynamicDims: false);
        return graph;
    }

    [Theory]
    [InlineData(1023, false)]
    [InlineData(100_003, false)]
    [InlineData(1023, true)]
    public void TheNewValuesAreComputedIntoTheTensors(int n, bool interpreter)
    {
        var saved = FusedKernelMode.Kind;
        FusedKernelMode.Kind = interpreter ? FusedKernelKind.Interpreter : FusedKernelKind.Codegen;
        try
        {
            var (eager, compiled) = Pair(n);
            var graph = Optimized(compiled.Step, Data(n, 9));
            eager.Step(Data(n, 9));   // the trace ran one step on the compiled side
            using (Autograd.NoGrad())   // the replays use the no-grad plan, checked below
                AssertSameSteps(eager, compiled, g => Replay.Run(graph, [g], out _)![0], n, 4);
            int fusedAt = graph.Ops.FindIndex(op => op.Op is FusedElementwise { OutputCount: 2 });
            Assert.True(fusedAt >= 0);
            var targets = ReplayBuffers.For(graph, ReplayRecording.None).WriteTargetsOf(fusedAt);
            // buf' and p' each go straight into buf and p: the kernel took both (else the plan would have dropped them).
            Assert.NotNull(targets);
            Assert.Equal(2, targets.Where(t => t >= 0).Distinct().Count());
        }
        finally { FusedKernelMode.Kind = saved; }
    }
}
