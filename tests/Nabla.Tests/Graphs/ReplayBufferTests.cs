using Nabla.Engine;
using Nabla.Graphs;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A replay writes values that nothing outside the call can see into buffers the graph keeps from call to call
/// (ReplayBuffers). These tests hold it to eager results bit for bit wherever a value could leak: outputs of
/// earlier calls, views of intermediates (returned, or alive past their base's last direct reader), a call that
/// re-enters the graph while it runs, compiled functions inside compiled functions, and grad mode on (joint
/// graph) and off; and they check that a steady-state call no longer allocates per op.
/// </summary>
public class ReplayBufferTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static Tensor Input(int seed) => Tensor.Randn([16], seed: seed);

    // Made by the constructor, before any trace (a static initializer run inside a trace would be recorded in the graph).
    readonly Tensor B = Tensor.Randn([16], seed: 100);
    readonly Tensor C = Tensor.Rand([16], seed: 101) + 0.5;

    /// <summary>The benchmark's chain: add, mul, tanh in turn, on 16 elements.</summary>
    Tensor Chain(Tensor y, int ops)
    {
        for (int i = 0; i < ops; i++)
            y = (i % 3) switch { 0 => y + B, 1 => y * C, _ => y.Tanh() };
        return y;
    }

    /// <summary>Traces <paramref name="f"/> as Graph.Compile does, for tests that look at the graph's plan.</summary>
    static TracedGraph Trace(Func<Tensor, Tensor> f, Tensor x)
    {
        var tracer = new Tracer([x], ["x"], firstTrace: true, fullGraph: false);
        Tensor y;
        using (Dispatch.Observe(tracer)) y = f(x);
        return tracer.Finish([y]);
    }

    [Fact]
    public void OutputsOfEarlierCallsStayAsTheyWereAndEveryCallMatchesEager()
    {
        foreach (bool grad in new[] { false, true })
            using (Autograd.SetGradEnabled(grad))
            {
                var cf = Graph.Compile((Tensor x) => Chain(x, 30));
                var results = new List<(Tensor Compiled, float[] Eager)>();
                for (int call = 0; call < 6; call++)
                {
                    var x = Input(call);
                    results.Add((cf.Call(x), F(Chain(x, 30))));
                }
                foreach (var (compiled, eager) in results) Assert.Equal(eager, F(compiled));
                Assert.Equal(1, cf.TraceCount);
            }
    }

    [Fact]
    public void ChainPoolsEveryIntermediateInTwoBuffers()
    {
        using var noGrad = Autograd.NoGrad();
        var graph = Trace(x => Chain(x, 50), Input(0));
        var plan = ReplayBuffers.For(graph, ReplayRecording.None);
        Assert.Equal(49, plan.PooledValues);   // all but the output
        Assert.Equal(2, plan.SlotCount);       // each value dies as the next is made: two buffers take turns
        for (int call = 0; call < 4; call++)
            Assert.Equal(F(Chain(Input(call), 50)), F(Replay.Run(graph, [Input(call)], out _)![0]));
    }

    [Fact]
    public void AViewOfAnIntermediateReturnedAsOutputKeepsItsValues()
    {
        // a is pooled by the plan; its reshape (a view) leaves the call, so a's buffer must leave the pool.
        Tensor[] F2(Tensor[] xs)
        {
            var a = xs[0] * 2.0 + 1.0;
            var view = a.Reshape(4, 4).Transpose(0, 1);
            return [view, (a * 3.0).Tanh()];
        }
        using var noGrad = Autograd.NoGrad();
        var cf = Graph.Compile((Func<Tensor[], Tensor[]>)F2);
        var kept = new List<(Tensor[] Compiled, Tensor[] Eager)>();
        for (int call = 0; call < 5; call++) kept.Add((cf.Call([Input(call)]), F2([Input(call)])));
        foreach (var (compiled, eager) in kept)
        {
            Assert.Equal(F(eager[0]), F(compiled[0]));
            Assert.Equal(F(eager[1]), F(compiled[1]));
        }
    }

    [Fact]
    public void AViewAliveAfterItsBaseIsLastReadKeepsItsValues()
    {
        // a's last direct reader is the reshape; b and c (same shape) would take a's buffer next if the plan
        // ignored that v still views it.
        static Tensor G(Tensor x)
        {
            var a = x * 2.0;
            var v = a.Reshape(4, 4);
            var b = x + 3.0;
            var c = (b * 5.0).Tanh();
            return v.Reshape(16) + c * 0.5;
        }
        using var noGrad = Autograd.NoGrad();
        var cf = Graph.Compile((Func<Tensor, Tensor>)G);
        for (int call = 0; call < 5; call++) Assert.Equal(F(G(Input(call))), F(cf.Call(Input(call))));
    }

    /// <summary>Runs the compiled function again, on the same graph, from inside one of its calls (once <see cref="Target"/> is set).</summary>
    sealed class CallsTheGraphAgain : CustomFunction
    {
        public CompiledFunction<Func<Tensor, Tensor>>? Target;
        public readonly List<(Tensor Input, Tensor Result)> Inner = [];
        int _depth;

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            if (Target is { } cf && _depth == 0)
            {
                _depth++;
                try { Inner.Add((inputs[0].Clone(), cf.Call(inputs[0]))); }
                finally { _depth--; }
            }
            return [inputs[0] * 2.0];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => [gradOutputs[0] * 2.0];
    }

    [Fact]
    public void ACallThatReentersTheGraphLeavesTheOuterCallsBuffersAlone()
    {
        var reenter = new CallsTheGraphAgain();
        // a is pooled and alive across the custom op: a re-entrant replay that used the graph's buffers would
        // overwrite it with its own a.
        Tensor H(Tensor x)
        {
            var a = (x * 3.0).Tanh();
            var c = reenter.Apply(a + 1.0);
            return c * a;
        }
        static Tensor Eager(Tensor x)
        {
            var a = (x * 3.0).Tanh();
            return (a + 1.0) * 2.0 * a;
        }
        using var noGrad = Autograd.NoGrad();
        var cf = Graph.Compile((Func<Tensor, Tensor>)H);
        cf.Call(Input(0));   // traced, before the custom function calls back
        reenter.Target = cf;
        for (int call = 1; call < 5; call++) Assert.Equal(F(Eager(Input(call))), F(cf.Call(Input(call))));
        Assert.Equal(4, reenter.Inner.Count);
        foreach (var (input, result) in reenter.Inner) Assert.Equal(F(Eager(input)), F(result));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void CompiledFunctionsInsideCompiledFunctionsMatchEager()
    {
        var inner = Graph.Compile((Tensor x) => Chain(x, 12));
        Tensor Outer(Tensor x) => inner.Call(x) * 2.0 + inner.Call(x.Tanh());
        Tensor EagerOuter(Tensor x) => Chain(x, 12) * 2.0 + Chain(x.Tanh(), 12);
        using var noGrad = Autograd.NoGrad();
        var outer = Graph.Compile((Func<Tensor, Tensor>)Outer);
        var kept = new List<(Tensor, float[])>();
        for (int call = 0; call < 5; call++)
        {
            kept.Add((outer.Call(Input(call)), F(EagerOuter(Input(call)))));
            kept.Add((inner.Call(Input(call + 10)), F(Chain(Input(call + 10), 12))));   // between calls of the outer one
        }
        foreach (var (compiled, eager) in kept) Assert.Equal(eager, F(compiled));
    }

    [Fact]
    public void GradientsThroughAJointReplayMatchEagerOverSeveralCalls()
    {
        // The joint graph's backward keeps some forward values: those must not be pooled.
        var w = Tensor.Randn([16], seed: 7, requiresGrad: true);
        var we = Tensor.Randn([16], seed: 7, requiresGrad: true);
        Tensor Loss(Tensor x, Tensor p) => (Chain(x * p, 20) * p).Sum();
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)Loss);
        var grads = new List<(Tensor, Tensor)>();
        for (int call = 0; call < 5; call++)
        {
            w.Grad = null;
            we.Grad = null;
            var (lc, le) = (cf.Call(Input(call), w), Loss(Input(call), we));
            Assert.Equal(F(le), F(lc));
            lc.Backward();
            le.Backward();
            grads.Add((w.Grad!, we.Grad!));
        }
        foreach (var (compiled, eager) in grads) Assert.Equal(F(eager), F(compiled));
    }

    [Fact]
    public void SteadyStateCallOfA50OpChainAllocatesNoTensorPerOp()
    {
        using var noGrad = Autograd.NoGrad();
        var cf = Graph.Compile((Tensor x) => Chain(x, 50));
        var x = Input(1);
        for (int i = 0; i < 5; i++) cf.Call(x);
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int calls = 20;
        for (int i = 0; i < calls; i++) cf.Call(x);
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / calls;
        // A tensor per op was ~360 bytes (18 KB a call); what is left is the call itself (signature, argument and
        // output arrays) and the output tensor.
        Assert.True(perCall < 2048, $"a steady-state call allocated {perCall} bytes");
    }
}
