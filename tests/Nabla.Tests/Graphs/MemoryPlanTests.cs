using Nabla.Engine;
using Nabla.Graphs;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Graphs;

/// <summary>
/// The memory plan of a replay (ReplayBuffers) beyond plain values: views whose uses the plan counts in their
/// source's lifetime (the source's buffer stays pooled across calls), the new value of an optimizer's in-place
/// assignment (pooled: the write copies it), and the optimizer guard that answers from a snapshot. Each holds
/// to eager results bit for bit over several calls, with results of earlier calls kept by the caller.
/// </summary>
public class MemoryPlanTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static Tensor Input(int seed) => Tensor.Randn([16], seed: seed);

    /// <summary>Traces <paramref name="f"/> as Graph.Compile does, for tests that look at the graph's plan.</summary>
    static TracedGraph Trace(Func<Tensor, Tensor> f, Tensor x) => Trace(xs => [f(xs[0])], x);

    static TracedGraph Trace(Func<Tensor[], Tensor[]> f, Tensor x)
    {
        var tracer = new Tracer([x], ["x"], firstTrace: true, fullGraph: false);
        Tensor[] ys;
        using (Dispatch.Observe(tracer)) ys = f([x]);
        return tracer.Finish(ys);
    }

    // a's buffer is read through a transpose (a view) after b and c, of a's shape, are made: they must not take it.
    static Tensor ViewReadLate(Tensor x)
    {
        var a = x.Reshape(4, 4) * 2.0 + 1.0;
        var v = a.Transpose(0, 1);
        var b = (x.Reshape(4, 4) * 3.0).Tanh();
        var c = b * b;
        return (v.MatMul(c) + b).Reshape(16);
    }

    [Fact]
    public void AViewReadAfterOtherValuesWereMadeKeepsItsSourcesBufferAndMatchesEager()
    {
        using var noGrad = Autograd.NoGrad();
        var graph = Trace(ViewReadLate, Input(0));
        var plan = ReplayBuffers.For(graph, ReplayRecording.None);
        var results = new List<(Tensor Compiled, float[] Eager)>();
        for (int call = 0; call < 5; call++)
            results.Add((Replay.Run(graph, [Input(call)], out _)![0], F(ViewReadLate(Input(call)))));
        foreach (var (compiled, eager) in results) Assert.Equal(eager, F(compiled));   // earlier outputs untouched by later calls
        // x*2 and +1 (a) and b, c: pooled; a's transpose is a planned view, so a keeps its buffer from call to call.
        Assert.True(plan.PooledValues >= 4, $"pooled {plan.PooledValues}");
        Assert.True(plan.SlotCount >= 3, $"slots {plan.SlotCount}");   // a, b and c are alive together
    }

    [Fact]
    public void AViewsSourceBufferIsReusedFromCallToCall()
    {
        // Before views were planned, the transpose made a's buffer leave the pool on every call (a new one next call).
        using var noGrad = Autograd.NoGrad();
        var graph = Trace(ViewReadLate, Input(0));
        Replay.Run(graph, [Input(0)], out _);
        var plan = ReplayBuffers.For(graph, ReplayRecording.None);
        var first = plan.Buffers();
        Replay.Run(graph, [Input(1)], out _);
        var second = plan.Buffers();
        Assert.Equal(first.Length, second.Length);
        for (int i = 0; i < first.Length; i++) Assert.Same(first[i], second[i]);
        Assert.All(first, b => Assert.NotNull(b));
    }

    [Fact]
    public void OutputsNeverShareMemoryWithBuffersOrEachOther()
    {
        Tensor[] G(Tensor[] xs)
        {
            var a = xs[0] * 2.0;
            var b = a.Reshape(4, 4).Transpose(0, 1);   // a view of a: a leaves the pool, it escapes through b
            var c = (a + 1.0).Tanh();
            return [b, c, c * 3.0];
        }
        using var noGrad = Autograd.NoGrad();
        var graph = Trace(G, Input(0));
        var plan = ReplayBuffers.For(graph, ReplayRecording.None);
        var kept = new List<(Tensor[] Compiled, float[][] Eager)>();
        for (int call = 0; call < 4; call++)
        {
            var outs = Replay.Run(graph, [Input(call)], out _)!;
            kept.Add((outs, [.. G([Input(call)]).Select(F)]));
            foreach (var o in outs)
            {
                foreach (var buffer in plan.Buffers())
                    if (buffer is not null) Assert.False(o.SharesStorage(buffer));
                foreach (var other in outs)
                    if (!ReferenceEquals(o, other)) Assert.False(o.SharesStorage(other));
            }
        }
        foreach (var (compiled, eager) in kept)
            for (int i = 0; i < eager.Length; i++) Assert.Equal(eager[i], F(compiled[i]));
    }

    [Fact]
    public void AnAssignedValueGetsABufferAndTheStateMatchesEager()
    {
        // buf.MulInPlace(0.9).AddInPlace(g): each new value (buf * 0.9, then buf + g) is copied into buf by the write, so the plan pools it.
        static Func<Tensor, Tensor> Step(Tensor buf) => g =>
        {
            using (Autograd.NoGrad()) buf.MulInPlace(0.9).AddInPlace(g);
            return buf.Sum();
        };
        var eagerBuf = Tensor.Zeros(16);
        var compiledBuf = Tensor.Zeros(16);
        var graph = Trace(Step(compiledBuf), Input(0));
        Step(eagerBuf)(Input(0));   // the traced call ran the step once
        var sums = new List<(Tensor Compiled, float[] Eager)>();
        for (int call = 1; call < 6; call++)
        {
            sums.Add((Replay.Run(graph, [Input(call)], out _)![0], F(Step(eagerBuf)(Input(call)))));
            Assert.Equal(F(eagerBuf), F(compiledBuf));
        }
        foreach (var (compiled, eager) in sums) Assert.Equal(eager, F(compiled));
        var plan = ReplayBuffers.For(graph, ReplayRecording.PerOp);
        Assert.Equal(2, plan.PooledValues);   // buf * 0.9 and buf + g, each a write's new value
    }

    static Module Net() => new Sequential(new Linear(8, 16, seed: 1), new ReLU(), new Linear(16, 3, seed: 2));

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void TrainingStepsMatchEagerAndGradientsKeptByTheCallerStayAsTheyWere(string name)
    {
        Optimizer Make(Module net) => name == "sgd"
            ? new Sgd(net.Parameters(), learningRate: 0.05, momentum: 0.9)
            : new Adam(net.Parameters(), learningRate: 0.01);
        Func<Tensor, Tensor, Tensor> StepOf(Module net, Optimizer opt) => (x, y) =>
        {
            opt.ZeroGrad();
            var loss = Functional.CrossEntropy(net.Call(x), y);
            loss.Backward();
            opt.Step();
            return loss;
        };
        var (eagerNet, compiledNet) = (Net(), Net());
        var eager = StepOf(eagerNet, Make(eagerNet));
        var compiled = Graph.Compile(StepOf(compiledNet, Make(compiledNet)));
        var keptGrads = new List<(Tensor[] Compiled, float[][] Eager)>();
        for (int step = 0; step < 6; step++)
        {
            var x = Tensor.Randn([5, 8], seed: 10 + step);
            var y = Tensor.FromArray(new long[] { 0, 2, 1, 1, 0 }, [5]);
            Assert.Equal(F(eager(x, y)), F(compiled.Call(x, y)));
            keptGrads.Add(([.. compiledNet.Parameters().Select(p => p.Grad!)], [.. eagerNet.Parameters().Select(p => F(p.Grad!))]));
            foreach (var (e, c) in eagerNet.Parameters().Zip(compiledNet.Parameters())) Assert.Equal(F(e), F(c));
        }
        foreach (var (compiledGrads, eagerGrads) in keptGrads)
            for (int i = 0; i < eagerGrads.Length; i++) Assert.Equal(eagerGrads[i], F(compiledGrads[i]));
        Assert.Equal(name == "sgd" ? 2 : 1, compiled.TraceCount);   // SGD's momentum buffer is made from the first gradient: step 2 traces anew
    }

    [Fact]
    public void TheOptimizerGuardStillSeesAChangedOptionAfterReplaysThatChangedNothing()
    {
        var (eagerNet, compiledNet) = (Net(), Net());
        var (eagerOpt, compiledOpt) = (new Sgd(eagerNet.Parameters(), learningRate: 0.05, momentum: 0.9), new Sgd(compiledNet.Parameters(), learningRate: 0.05, momentum: 0.9));
        Func<Tensor, Tensor> StepOf(Module net, Optimizer opt) => x =>
        {
            opt.ZeroGrad();
            var loss = net.Call(x).Square().Mean();
            loss.Backward();
            opt.Step();
            return loss;
        };
        var (eager, compiled) = (StepOf(eagerNet, eagerOpt), Graph.Compile(StepOf(compiledNet, compiledOpt)));
        for (int step = 0; step < 6; step++)
        {
            if (step == 3)
                foreach (var opt in new Optimizer[] { eagerOpt, compiledOpt }) opt.ParamGroups[0]["weight_decay"] = 0.1;
            var x = Tensor.Randn([5, 8], seed: 30 + step);
            Assert.Equal(F(eager(x)), F(compiled.Call(x)));
            foreach (var (e, c) in eagerNet.Parameters().Zip(compiledNet.Parameters())) Assert.Equal(F(e), F(c));
        }
        Assert.Equal(3, compiled.TraceCount);   // step 1 (no momentum buffer yet), step 2, and the new weight decay baked into a third
    }
}
