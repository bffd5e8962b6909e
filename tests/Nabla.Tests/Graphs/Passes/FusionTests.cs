using Nabla.Graphs;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// Elementwise fusion: chains of elementwise ops become one fused_elementwise op whose tile interpreter gives eager
/// code's bits (float32 and float64, sizes at the tile and thread-split edges); what must stay as traced, stays.
/// </summary>
public class FusionTests
{
    /// <summary>GELU's tanh form written from primitives.</summary>
    static Tensor GeluPrimitives(Tensor x) =>
        0.5 * x * (1.0 + (Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x.Pow(3))).Tanh());

    static Tensor ExpXTimesXPlus1(Tensor x) => x.Exp() * x + 1.0;

    static Tensor TwoInputs(Tensor a, Tensor b) => (a.Sigmoid() * b - a).Abs().Sqrt() / (b.Exp() + 1.0);

    public static TheoryData<DType, int> DTypesAndSizes()
    {
        var data = new TheoryData<DType, int>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (int n in new[] { 1, 17, 1023, 1025, 100_000 })
                data.Add(dtype, n);
        return data;
    }

    static Tensor Data(int n, DType dtype, int seed)
    {
        var rng = new Random(seed);
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = rng.NextDouble() * 8 - 4;
        return Tensor.FromArray(values, [n]).To(dtype);
    }

    static long[] Bits(Tensor t) => t.DType == DType.Float32
        ? [.. t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v))]
        : [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    [Fact]
    public void GeluFromPrimitivesBecomesOneOpAfterItsScalars()
    {
        var cf = Graph.Compile(GeluPrimitives);
        var x = Data(5, DType.Float32, 1);
        Assert.Equal(Bits(GeluPrimitives(x)), Bits(cf.Call(x)));
        Assert.Equal("""
            graph GeluPrimitives(%0 x: [5] float32)
              %1 = full() : [] float32
              %2 = reshape(%1) : [1] float32
              %3 = expand(%2) : [5] float32
              %4 = mul(%3, %0) : [5] float32
              %5 = pow(%0) : [5] float32
              %6 = full() : [] float32
              %7 = reshape(%6) : [1] float32
              %8 = expand(%7) : [5] float32
              %9 = mul(%8, %5) : [5] float32
              %10 = add(%0, %9) : [5] float32
              %11 = full() : [] float32
              %12 = reshape(%11) : [1] float32
              %13 = expand(%12) : [5] float32
              %14 = mul(%13, %10) : [5] float32
              %15 = tanh(%14) : [5] float32
              %16 = full() : [] float32
              %17 = reshape(%16) : [1] float32
              %18 = expand(%17) : [5] float32
              %19 = add(%18, %15) : [5] float32
              %20 = mul(%4, %19) : [5] float32
              return %20

            """.Replace("\r", ""), PassText.Ops(cf.TracedGraphFor(x)));
        Assert.Equal("""
            graph GeluPrimitives(%0 x: [5] float32)
              %1 = full() : [] float32
              %2 = reshape(%1) : [1] float32
              %3 = expand(%2) : [5] float32
              %6 = full() : [] float32
              %7 = reshape(%6) : [1] float32
              %8 = expand(%7) : [5] float32
              %11 = full() : [] float32
              %12 = reshape(%11) : [1] float32
              %13 = expand(%12) : [5] float32
              %16 = full() : [] float32
              %17 = reshape(%16) : [1] float32
              %18 = expand(%17) : [5] float32
              %20 = fused_elementwise(%3, %0, %8, %13, %18) : [5] float32
              return %20

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("fuse: fused 1 group(s) of 8 ops: [mul pow_scalar mul add mul tanh add mul]", cf.Explain());
    }

    [Fact]
    public void ExpXTimesXPlusOneReadsXOnceAndTheScalar()
    {
        var cf = Graph.Compile(ExpXTimesXPlus1);
        var x = Data(5, DType.Float64, 2);
        Assert.Equal(Bits(ExpXTimesXPlus1(x)), Bits(cf.Call(x)));
        Assert.Equal("""
            graph ExpXTimesXPlus1(%0 x: [5] float64)
              %3 = full() : [] float64
              %4 = reshape(%3) : [1] float64
              %5 = expand(%4) : [5] float64
              %6 = fused_elementwise(%0, %5) : [5] float64
              return %6

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("[exp mul add]", cf.Explain());
    }

    [Fact]
    public void AGroupWithTwoInputs()
    {
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor>)TwoInputs);
        var (a, b) = (Data(5, DType.Float32, 3), Data(5, DType.Float32, 4));
        Assert.Equal(Bits(TwoInputs(a, b)), Bits(cf.Call(a, b)));
        Assert.Equal("""
            graph TwoInputs(%0 a: [5] float32, %1 b: [5] float32)
              %8 = full() : [] float32
              %9 = reshape(%8) : [1] float32
              %10 = expand(%9) : [5] float32
              %12 = fused_elementwise(%0, %1, %10) : [5] float32
              return %12

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(a, b)));
        Assert.Contains("[sigmoid mul sub abs sqrt exp add div]", cf.Explain());
    }

    [Theory]
    [MemberData(nameof(DTypesAndSizes))]
    public void BitwiseEqualToEagerAtTileAndThreadEdges(DType dtype, int n)
    {
        var gelu = Graph.Compile(GeluPrimitives);
        var expx = Graph.Compile(ExpXTimesXPlus1);
        var two = Graph.Compile((Func<Tensor, Tensor, Tensor>)TwoInputs);
        for (int call = 0; call < 3; call++)
        {
            var (a, b) = (Data(n, dtype, 10 + call), Data(n, dtype, 20 + call));
            Assert.Equal(Bits(GeluPrimitives(a)), Bits(gelu.Call(a)));
            Assert.Equal(Bits(ExpXTimesXPlus1(a)), Bits(expx.Call(a)));
            Assert.Equal(Bits(TwoInputs(a, b)), Bits(two.Call(a, b)));
        }
        Assert.Contains("fuse:", gelu.Explain());
        Assert.Equal(1, two.TraceCount);
    }

    [Fact]
    public void AValueAlsoReadOutsideTheGroupIsKept()
    {
        // exp(x) is also summed: it stays an op of its own, and the chain after it is fused.
        static Tensor F(Tensor x)
        {
            var e = x.Exp();
            return (e * 2.0 + 1.0) * e.Sum();
        }
        var cf = Graph.Compile(F);
        for (int call = 0; call < 2; call++)
        {
            var x = Data(1025, DType.Float32, call);
            Assert.Equal(Bits(F(x)), Bits(cf.Call(x)));
        }
        var after = PassText.Ops(cf.GraphFor(Data(1025, DType.Float32, 0)));
        Assert.Contains("%1 = exp(%0)", after);
        Assert.Contains("= sum(%1)", after);
        Assert.Contains("= fused_elementwise(%1, ", after);
        Assert.Contains("[mul add mul]", cf.Explain());
    }

    [Fact]
    public void AChainThatRequiresGradIsNotFusedAndGradientsAreEagers()
    {
        static Tensor F(Tensor x) => ExpXTimesXPlus1(x).Sum();
        var cf = Graph.Compile(F);
        for (int call = 0; call < 3; call++)
        {
            var xe = Data(1025, DType.Float32, call);
            xe.RequiresGrad = true;
            var xc = Data(1025, DType.Float32, call);
            xc.RequiresGrad = true;
            Assert.Equal(Bits(Autograd.Grad(F(xe), xe)!), Bits(Autograd.Grad(cf.Call(xc), xc)!));
        }
        var probe = Data(1025, DType.Float32, 0);
        probe.RequiresGrad = true;
        Assert.DoesNotContain("fused_elementwise", cf.GraphFor(probe));
    }

    [Fact]
    public void SwitchedOffTheOpsStay()
    {
        var cf = Graph.Compile(ExpXTimesXPlus1, PassText.Without(GraphPasses.Fusion));
        var x = Data(17, DType.Float32, 5);
        Assert.Equal(Bits(ExpXTimesXPlus1(x)), Bits(cf.Call(x)));
        Assert.Contains("= exp(%0)", cf.GraphFor(x));
        Assert.DoesNotContain("fused_elementwise", cf.GraphFor(x));
        Assert.DoesNotContain("fuse:", cf.Explain());
    }

    [Fact]
    public void AStridedInputAtRunTimeRunsTheStepsOneByOne()
    {
        // Traced on a contiguous matrix; called on a transposed view of the same shape, which the tiles cannot read.
        var cf = Graph.Compile(ExpXTimesXPlus1);
        var x = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => i * 0.25f - 1.5f).ToArray(), [3, 4]);
        Assert.Equal(Bits(ExpXTimesXPlus1(x)), Bits(cf.Call(x)));
        var t = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => 1.25f - i * 0.2f).ToArray(), [4, 3]).T;
        Assert.False(t.IsContiguous);
        Assert.Equal(Bits(ExpXTimesXPlus1(t)), Bits(cf.Call(t)));
    }

    [Fact]
    public void ASavedAndLoadedFusedGraphGivesTheSameBits()
    {
        var cf = Graph.Compile(GeluPrimitives);
        var x = Data(1025, DType.Float64, 6);
        cf.Call(x);
        Assert.Contains("fused_elementwise", cf.GraphFor(x));
        using var stream = new MemoryStream();
        cf.Save(stream);
        stream.Position = 0;
        var loaded = CompiledFunction.Load(stream);
        var y = Data(1025, DType.Float64, 7);
        Assert.Equal(Bits(GeluPrimitives(y)), Bits(loaded.Call(y)));
    }

    [Fact]
    public void UnderAForwardAccumulatorTheGraphRunsAsTracedAndTangentsAreEagers()
    {
        var cf = Graph.Compile(ExpXTimesXPlus1);
        cf.Call(Data(17, DType.Float64, 8));
        var x = Data(17, DType.Float64, 9);
        var v = Data(17, DType.Float64, 10);
        Tensor eager, compiled;
        using (var acc = new ForwardAccumulator(x, v)) eager = acc.Jvp(ExpXTimesXPlus1(x))!;
        using (var acc = new ForwardAccumulator(x, v)) compiled = acc.Jvp(cf.Call(x))!;
        Assert.Equal(Bits(eager), Bits(compiled));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void TheFusedPrimitivesDerivativesFollowItsSteps()
    {
        // exp(x)·x + c as one op, differentiated directly: d/dx = exp(x)(1 + x), d/dc = 1.
        var op = new Nabla.Primitives.Elementwise.FusedElementwise(
            [Nabla.Primitives.Elementwise.FusedStep.Exp, Nabla.Primitives.Elementwise.FusedStep.Mul, Nabla.Primitives.Elementwise.FusedStep.Add],
            [0, -1, 2, 0, 3, 1], [0, 0, 0]);
        var x = Tensor.FromArray(new[] { 0.5, -1.0, 2.0 }, [3], requiresGrad: true);
        var c = Tensor.FromArray(new[] { 1.0, 1.0, 1.0 }, [3], requiresGrad: true);
        var y = Nabla.Engine.Dispatch.Call(op, x, c);
        Assert.Equal(x.ToArray<double>().Select(v => Math.Exp(v) * v + 1), y.ToArray<double>(), new Comparison(1e-12));
        var g = Autograd.Grad([y.Sum()], [x, c]);
        var expected = x.ToArray<double>().Select(v => Math.Exp(v) * (1 + v)).ToArray();
        Assert.Equal(expected, g[0]!.ToArray<double>(), new Comparison(1e-12));
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, g[1]!.ToArray<double>());
        using var acc = new ForwardAccumulator(x, Tensor.OnesLike(x));
        var tangent = acc.Jvp(Nabla.Engine.Dispatch.Call(op, x, c))!;
        Assert.Equal(expected, tangent.ToArray<double>(), new Comparison(1e-12));
    }

    sealed class Comparison(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(a));
        public int GetHashCode(double v) => 0;
    }
}
