using Nabla.Backends.Cpu.Kernels;
using Nabla.Backends.Cpu.Kernels.Codegen;
using Nabla.Engine;
using Nabla.Graphs;
using Nabla.Primitives.Elementwise;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// Fused programs with several outputs: a group whose value a later group reads becomes part of it (ElementwiseFusion's
/// merge), and the merged op makes every value read outside it in one pass. Results are eager code's bits (both kernel
/// kinds, float32 and float64, odd lengths), outputs written by assignments right after the op are computed into their
/// destinations, what may not merge or be written in place stays as it was, and gradients through such an op are eager's.
/// </summary>
public partial class MultiOutputFusionTests
{
    const float Lr = 1e-3f, Beta1 = 0.9f, Beta2 = 0.999f, Eps = 1e-8f;

    /// <summary>Adam's update with tensor ops (bias corrections as constants), returning p', m', v'.</summary>
    static Tensor[] Adam(Tensor[] a)
    {
        var (p, g, m, v) = (a[0], a[1], a[2], a[3]);
        var m1 = Beta1 * m + (1 - Beta1) * g;
        var v1 = Beta2 * v + (1 - Beta2) * (g * g);
        var mHat = m1 / (1 - MathF.Pow(Beta1, 10));
        var vHat = v1 / (1 - MathF.Pow(Beta2, 10));
        return [p - Lr * mHat / (vHat.Sqrt() + Eps), m1, v1];
    }

    /// <summary>Two outputs, one of them also read inside the group after it is made.</summary>
    static Tensor[] TwoOutputs(Tensor[] a)
    {
        var e = (a[0] * a[1]).Exp();
        return [(e * a[0] - 1.0).Abs().Sqrt(), e];
    }

    /// <summary>Four outputs from two inputs, a chain where every second value is also returned.</summary>
    static Tensor[] FourOutputs(Tensor[] a)
    {
        var s = a[0] + a[1];
        var t = s * s;
        var u = (t - a[0]).Abs();
        var w = u.Sqrt() * a[1];
        return [s, (t + 1.0) * 0.5, u, w - s];
    }

    static Tensor Data(int n, DType dtype, int seed, double low = -3, double high = 3)
    {
        var rng = new Random(seed);
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = low + rng.NextDouble() * (high - low);
        return Tensor.FromArray(values, [n]).To(dtype);
    }

    static Tensor[] AdamInputs(int n, DType dtype, int seed) =>
        [Data(n, dtype, seed), Data(n, dtype, seed + 1), Data(n, dtype, seed + 2), Data(n, dtype, seed + 3, 0, 3)];

    static long[] Bits(Tensor t) => t.DType == DType.Float32
        ? [.. t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v))]
        : [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    static void AssertBitwise(Tensor[] expected, Tensor[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(Bits(expected[i]), Bits(actual[i]));
    }

    [Fact]
    public void AdamsThreeGroupsBecomeOneOpWithThreeOutputs()
    {
        var cf = Graph.Compile(Adam);
        var x = AdamInputs(5, DType.Float32, 1);
        AssertBitwise(Adam(x), cf.Call(x));
        // m' and v' are returned and read by p's step: one program makes all three, reading p, g, m, v once.
        Assert.EndsWith("""
              %12, %22, %41 = fused_elementwise(%6, %2, %10, %1, %15, %3, %20, %25, %29, %33, %38, %0) : [5] float32, [5] float32, [5] float32
              return %41, %12, %22

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Equal(1, PassText.Ops(cf.GraphFor(x)).Split('\n').Count(l => l.Contains("fused_elementwise")));
        Assert.Contains("fuse: fused 1 group(s) of 14 ops: [mul mul add mul mul mul add div div mul sqrt add div sub] (3 outputs)", cf.Explain());
    }

    [Fact]
    public void AnOutputAlsoReadInsideTheGroup()
    {
        var cf = Graph.Compile(TwoOutputs);
        var x = new[] { Data(7, DType.Float64, 2), Data(7, DType.Float64, 3) };
        AssertBitwise(TwoOutputs(x), cf.Call(x));
        Assert.Equal("""
            graph TwoOutputs(%0 args[0]: [7] float64, %1 args[1]: [7] float64)
              %2 = mul(%0, %1) : [7] float64
              %3 = exp(%2) : [7] float64
              %4 = mul(%3, %0) : [7] float64
              %5 = full() : [] float64
              %6 = reshape(%5) : [1] float64
              %7 = expand(%6) : [7] float64
              %8 = sub(%4, %7) : [7] float64
              %9 = abs(%8) : [7] float64
              %10 = sqrt(%9) : [7] float64
              return %10, %3

            """.Replace("\r", ""), PassText.Ops(cf.TracedGraphFor(x)));
        Assert.Equal("""
            graph TwoOutputs(%0 args[0]: [7] float64, %1 args[1]: [7] float64)
              %5 = full() : [] float64
              %6 = reshape(%5) : [1] float64
              %7 = expand(%6) : [7] float64
              %3, %10 = fused_elementwise(%0, %1, %7) : [7] float64, [7] float64
              return %10, %3

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("fuse: fused 1 group(s) of 6 ops: [mul exp mul sub abs sqrt] (2 outputs)", cf.Explain());
    }

    public static TheoryData<DType, int, bool> Cases()
    {
        var data = new TheoryData<DType, int, bool>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (int n in new[] { 1, 15, 17, 1023, 100_003 })
                foreach (bool interpreter in new[] { true, false })
                    data.Add(dtype, n, interpreter);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TwoToFourOutputsAreEagersBits(DType dtype, int n, bool interpreter)
    {
        var saved = FusedKernelMode.Kind;
        FusedKernelMode.Kind = interpreter ? FusedKernelKind.Interpreter : FusedKernelKind.Codegen;
        try
        {
            var (adam, two, four) = (Graph.Compile(Adam), Graph.Compile(TwoOutputs), Graph.Compile(FourOutputs));
            for (int call = 0; call < 2; call++)
            {
                var x = AdamInputs(n, dtype, 10 * call);
                AssertBitwise(Adam(x), adam.Call(x));
                AssertBitwise(TwoOutputs(x[..2]), two.Call(x[..2]));
                AssertBitwise(FourOutputs(x[..2]), four.Call(x[..2]));
            }
            Assert.Contains("(3 outputs)", adam.Explain());
            Assert.Contains("(2 outputs)", two.Explain());
            Assert.Contains("(4 outputs)", four.Explain());
        }
        finally { FusedKernelMode.Kind = saved; }
    }

    /// <summary>Adam's update written by hand into its state: m, v and p are assigned from the new values at the end.</summary>
    sealed class AdamInPlace(Tensor p, Tensor m, Tensor v)
    {
        public Tensor P => p;
        public Tensor M => m;
        public Tensor V => v;

        public Tensor Step(Tensor g)
        {
            using var noGrad = Autograd.NoGrad();
            var updated = Adam([p, g, m, v]);
            m.CopyFrom(updated[1]);
            v.CopyFrom(updated[2]);
            p.CopyFrom(updated[0]);
            return p;
        }
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
    public void WrittenOutputsAreComputedIntoTheirDestinations(int n, bool interpreter)
    {
        var saved = FusedKernelMode.Kind;
        FusedKernelMode.Kind = interpreter ? FusedKernelKind.Interpreter : FusedKernelKind.Codegen;
        using var noGrad = Autograd.NoGrad();   // the replays use the no-grad plan, checked below
        try
        {
            var start = AdamInputs(n, DType.Float32, 40);
            var eager = new AdamInPlace(start[0].CopyData(), start[2].CopyData(), start[3].CopyData());
            var compiled = new AdamInPlace(start[0].CopyData(), start[2].CopyData(), start[3].CopyData());
            var graph = Optimized(compiled.Step, Data(n, DType.Float32, 49));
            eager.Step(Data(n, DType.Float32, 49));   // the trace ran one step on the compiled side
            for (int call = 0; call < 4; call++)
            {
                var g = Data(n, DType.Float32, 50 + call);
                Assert.Equal(Bits(eager.Step(g)), Bits(Replay.Run(graph, [g], out _)![0]));
                Assert.Equal(Bits(eager.M), Bits(compiled.M));
                Assert.Equal(Bits(eager.V), Bits(compiled.V));
                Assert.Equal(Bits(eager.P), Bits(compiled.P));
            }
            int fusedAt = graph.Ops.FindIndex(op => op.Op is FusedElementwise { OutputCount: 3 });
            var targets = ReplayBuffers.For(graph, ReplayRecording.None).WriteTargetsOf(fusedAt);
            // m', v', p' each go straight into m, v, p: the kernel took all three (else the plan would have dropped them).
            Assert.NotNull(targets);
            Assert.All(targets, t => Assert.True(t >= 0));
            Assert.Equal(3, targets.Distinct().Count());
        }
        finally { FusedKernelMode.Kind = saved; }
    }

    [Fact]
    public void OverlappingDestinationsAreRefusedAndCopiedAsBefore()
    {
        // m and v are overlapping windows of one buffer: the kernel refuses to write both, the assignments copy in
        // program order as eager code does (v's copy lands over m's last elements).
        const int n = 300;
        using var noGrad = Autograd.NoGrad();
        Tensor Buffer() => Data(n + 1, DType.Float32, 60, 0, 2);
        var (eagerBuffer, compiledBuffer) = (Buffer(), Buffer());
        var eager = new AdamInPlace(Data(n, DType.Float32, 61), eagerBuffer.Narrow(0, 0, n), eagerBuffer.Narrow(0, 1, n));
        var compiled = new AdamInPlace(Data(n, DType.Float32, 61), compiledBuffer.Narrow(0, 0, n), compiledBuffer.Narrow(0, 1, n));
        var graph = Optimized(compiled.Step, Data(n, DType.Float32, 61));
        eager.Step(Data(n, DType.Float32, 61));
        int fusedAt = graph.Ops.FindIndex(op => op.Op is FusedElementwise { OutputCount: > 1 });
        Assert.True(fusedAt >= 0);
        Assert.NotNull(ReplayBuffers.For(graph, ReplayRecording.None).WriteTargetsOf(fusedAt));
        for (int call = 0; call < 3; call++)
        {
            var g = Data(n, DType.Float32, 62 + call);
            Assert.Equal(Bits(eager.Step(g)), Bits(Replay.Run(graph, [g], out _)![0]));
            Assert.Equal(Bits(eagerBuffer), Bits(compiledBuffer));
        }
        Assert.Null(ReplayBuffers.For(graph, ReplayRecording.None).WriteTargetsOf(fusedAt));
    }

    [Fact]
    public void TheKernelRefusesADestinationOverlappingAnInputThatIsNotItsView()
    {
        // y0 = x + 1, y1 = y0 * x; y1's destination is x shifted by one element: refused, nothing written.
        var op = new FusedElementwise([FusedStep.Add, FusedStep.Mul], [0, 1, 2, 0], [0, 0], [0, 1]);
        var storage = Data(9, DType.Float64, 70);
        var x = storage.Narrow(0, 0, 8);
        var one = Tensor.OnesLike(x);
        var before = Bits(storage);
        Assert.Null(FusedElementwiseKernel.IntoMany(op, [x, one], [null, storage.Narrow(0, 1, 8)]));
        Assert.Equal(before, Bits(storage));
        // Exactly x's view is fine: every element is read before it is written.
        var expected = new[] { x + one, (x + one) * x };   // before x is overwritten
        var got = FusedElementwiseKernel.IntoMany(op, [x, one], [null, x])!;
        Assert.Same(x, got[1]);
        AssertBitwise(expected, [got[0], storage.Narrow(0, 0, 8)]);
    }

    [Fact]
    public void OutputsOfDifferentShapesStayApart()
    {
        // r.Exp() has r's shape [5]; the [4, 5] chain reads it through an expand (a view), so the groups do not merge.
        static Tensor[] F(Tensor[] a)
        {
            var u = (a[1] * 2.0).Exp();
            return [(a[0] * u + 1.0).Sqrt(), u];
        }
        var cf = Graph.Compile(F);
        var x = new[] { Data(20, DType.Float32, 80, 0, 2).Reshape(4, 5), Data(5, DType.Float32, 81) };
        AssertBitwise(F(x), cf.Call(x));
        AssertBitwise(F(x), cf.Call(x));
        Assert.DoesNotContain("outputs)", cf.Explain());
        Assert.Equal(2, PassText.Ops(cf.GraphFor(x)).Split('\n').Count(l => l.Contains("fused_elementwise")));
    }

    [Fact]
    public void AValueReadBeforeTheLaterGroupEndsIsNotMerged()
    {
        // e's sum is read by the chain: the chain can only run after the sum, which needs e first.
        static Tensor F(Tensor x)
        {
            var e = x.Exp() * 2.0;
            return (e + 1.0) * e.Sum();
        }
        var cf = Graph.Compile(F);
        var x = Data(33, DType.Float32, 90);
        Assert.Equal(Bits(F(x)), Bits(cf.Call(x)));
        Assert.Equal(Bits(F(x)), Bits(cf.Call(x)));
        Assert.DoesNotContain("outputs)", cf.Explain());
    }
}
