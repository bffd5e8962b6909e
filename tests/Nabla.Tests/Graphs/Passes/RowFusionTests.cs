using Nabla.Graphs;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// Row fusion: softmax, log-softmax and layer norm written from primitives (and Nabla's own composites) become one
/// fused_rows op whose kernel gives eager code's bits (float32 and float64, rows of length 1, odd lengths, block and
/// chunk edges, NaN and infinite rows, strided inputs); its derivatives follow the steps' rules; graph files keep it.
/// </summary>
public partial class RowFusionTests
{
    static Tensor SoftmaxPrimitives(Tensor x)
    {
        var e = (x - x.Max(-1, keepDim: true)).Exp();
        return e / e.Sum(-1, keepDim: true);
    }

    static Tensor LogSoftmaxPrimitives(Tensor x)
    {
        var s = x - x.Max(-1, keepDim: true);
        return s - s.Exp().Sum(-1, keepDim: true).Log();
    }

    static Tensor LayerNormPrimitives(Tensor x)
    {
        var d = x - x.Mean(-1, keepDim: true);
        return d / ((d * d).Mean(-1, keepDim: true) + 1e-5).Sqrt();
    }

    static Tensor MinShift(Tensor x) => (x - x.Min(-1, keepDim: true)) * 2.0;

    /// <summary>A group whose result is one value per row ([rows, 1]): log Σ exp from primitives.</summary>
    static Tensor LogSumExpPrimitives(Tensor x)
    {
        var m = x.Max(-1, keepDim: true);
        return m + (x - m).Exp().Sum(-1, keepDim: true).Log();
    }

    static readonly Func<Tensor, Tensor>[] Chains =
    [
        SoftmaxPrimitives, LogSoftmaxPrimitives, LayerNormPrimitives, MinShift, LogSumExpPrimitives,
        x => x.Softmax(-1), x => x.LogSoftmax(-1), x => Nabla.NN.Functional.LayerNorm(x, [x.Shape[^1]]),
    ];

    static Tensor Data(int[] shape, DType dtype, int seed)
    {
        var rng = new Random(seed);
        var values = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++) values[i] = rng.NextDouble() * 8 - 4;
        return Tensor.FromArray(values, shape).To(dtype);
    }

    static long[] Bits(Tensor t) => t.DType == DType.Float32
        ? [.. t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v))]
        : [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    public static TheoryData<DType, int, int> DTypesAndShapes()
    {
        var data = new TheoryData<DType, int, int>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var (rows, n) in new[] { (1, 1), (5, 1), (3, 7), (64, 10), (131, 33), (3, 20_000), (70, 1000) })
                data.Add(dtype, rows, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(DTypesAndShapes))]
    public void EveryChainGivesEagerBitsAndIsFused(DType dtype, int rows, int n)
    {
        var x = Data([rows, n], dtype, rows * 31 + n);
        for (int c = 0; c < Chains.Length; c++)
        {
            var cf = Graph.Compile(Chains[c]);
            Assert.Equal(Bits(Chains[c](x)), Bits(cf.Call(x)));
            Assert.Equal(Bits(Chains[c](x)), Bits(cf.Call(x)));
            Assert.True(cf.GraphFor(x).Contains("fused_rows"), $"chain {c}:\n{cf.GraphFor(x)}");
        }
    }

    [Fact]
    public void SoftmaxFromPrimitivesBecomesOneOp()
    {
        var cf = Graph.Compile(SoftmaxPrimitives);
        var x = Data([4, 6], DType.Float32, 1);
        Assert.Equal(Bits(SoftmaxPrimitives(x)), Bits(cf.Call(x)));
        Assert.Equal("""
            graph SoftmaxPrimitives(%0 x: [4, 6] float32)
              %1 = amax(%0) : [4, 1] float32
              %2 = expand(%1) : [4, 6] float32
              %3 = sub(%0, %2) : [4, 6] float32
              %4 = exp(%3) : [4, 6] float32
              %5 = sum(%4) : [4, 1] float32
              %6 = expand(%5) : [4, 6] float32
              %7 = div(%4, %6) : [4, 6] float32
              return %7

            """.Replace("\r", ""), PassText.Ops(cf.TracedGraphFor(x)));
        Assert.Equal("""
            graph SoftmaxPrimitives(%0 x: [4, 6] float32)
              %7 = fused_rows(%0) : [4, 6] float32
              return %7

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("fuse_rows: fused 1 group(s) of 7 ops: [max_row sub exp sum_row div]", cf.Explain());
    }

    [Fact]
    public void LayerNormFromPrimitivesReadsItsCountsAndEpsAsScalars()
    {
        var cf = Graph.Compile(LayerNormPrimitives);
        var x = Data([4, 6], DType.Float32, 2);
        Assert.Equal(Bits(LayerNormPrimitives(x)), Bits(cf.Call(x)));
        Assert.Equal("""
            graph LayerNormPrimitives(%0 x: [4, 6] float32)
              %2 = size_of(%0) : [] int64
              %3 = cast(%2) : [] float32
              %4 = reshape(%3) : [1, 1] float32
              %11 = size_of(%0) : [] int64
              %12 = cast(%11) : [] float32
              %13 = reshape(%12) : [1, 1] float32
              %16 = full() : [] float32
              %17 = reshape(%16) : [1, 1] float32
              %22 = fused_rows(%0, %4, %13, %17) : [4, 6] float32
              return %22

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("fused 1 group(s) of 14 ops: [sum_row div sub mul sum_row div add sqrt div]; moved 1 size read(s)", cf.Explain());
    }

    [Fact]
    public void TheBuiltInSoftmaxKeepsItsGuardOnTheMaximumOutside()
    {
        static Tensor F(Tensor x) => x.Softmax(-1);
        var cf = Graph.Compile(F);
        var x = Data([4, 6], DType.Float32, 3);
        Assert.Equal(Bits(F(x)), Bits(cf.Call(x)));
        var text = PassText.Ops(cf.GraphFor(x));
        Assert.Contains("%13 = where(%9, %12, %2) : [4, 1] float32\n  %19 = fused_rows(%13, %0) : [4, 6] float32\n", text);
        Assert.Contains("[sub exp sum_row div]", cf.Explain());
    }

    [Fact]
    public void LayerNormWithWeightAndBiasReadsThemAsVectors()
    {
        var (w, b) = (Data([6], DType.Float32, 4), Data([6], DType.Float32, 5));
        Tensor F(Tensor x) => Nabla.NN.Functional.LayerNorm(x, [6], w, b);
        var cf = Graph.Compile(F);
        var x = Data([2, 3, 6], DType.Float32, 6);
        Assert.Equal(Bits(F(x)), Bits(cf.Call(x)));
        Assert.Contains("mul add]", cf.Explain());
        Assert.Single(PassText.Ops(cf.GraphFor(x)).Split('\n'), l => l.Contains("fused_rows"));
    }

    [Fact]
    public void NanAndInfiniteRowsGiveEagerBits()
    {
        float inf = float.PositiveInfinity, nan = float.NaN;
        var x = Tensor.FromArray(new float[]
        {
            1, nan, 3, 4, 5,
            -inf, -inf, -inf, -inf, -inf,
            inf, 1, 2, 3, 4,
            -inf, 0, 1, 2, -inf,
            -0f, -0f, -0f, -0f, -0f,
            1e30f, -1e30f, 3e38f, -3e38f, 0,
        }, [6, 5]);
        foreach (var f in Chains)
            Assert.Equal(Bits(f(x)), Bits(Graph.Compile(f).Call(x)));
        var one = Tensor.FromArray(new float[] { nan, -inf, inf, -0f }, [4, 1]);
        foreach (var f in Chains)
            Assert.Equal(Bits(f(one)), Bits(Graph.Compile(f).Call(one)));
    }

    [Fact]
    public void StridedAndBroadcastInputsGiveEagerBits()
    {
        var t = Data([9, 40], DType.Float32, 7);
        foreach (var f in Chains)
        {
            var cf = Graph.Compile((Tensor a) => f(a.Permute(1, 0)) * 1.5);
            Assert.Equal(Bits(f(t.Permute(1, 0)) * 1.5), Bits(cf.Call(t)));
            Assert.Equal(Bits(f(t.Permute(1, 0)) * 1.5), Bits(cf.Call(t)));
        }
        // A cell and a vector read from outside the group, broadcast along the rows.
        Tensor G(Tensor a, Tensor c, Tensor v) => (a - c) / (a - c).Sum(-1, keepDim: true) + v;
        var cg = Graph.Compile((Func<Tensor, Tensor, Tensor, Tensor>)G);
        var (x, cell, vec) = (Data([70, 300], DType.Float64, 8), Data([70, 1], DType.Float64, 9), Data([300], DType.Float64, 10));
        Assert.Equal(Bits(G(x, cell, vec)), Bits(cg.Call(x, cell, vec)));
        Assert.Contains("fused_rows", cg.GraphFor(x, cell, vec));
    }

    [Fact]
    public void WhatMustStayAsTracedStays()
    {
        // A value made inside that is also a result is not internal: the group ends before it.
        static Tensor[] Both(Tensor[] a)
        {
            var e = (a[0] - a[0].Max(-1, keepDim: true)).Exp();
            return [e, e / e.Sum(-1, keepDim: true)];
        }
        var cb = Graph.Compile(Both);
        var x = Data([4, 6], DType.Float32, 11);
        var eager = Both([x]);
        var compiled = cb.Call([x]);
        Assert.Equal(Bits(eager[0]), Bits(compiled[0]));
        Assert.Equal(Bits(eager[1]), Bits(compiled[1]));
        Assert.Contains("[max_row sub exp]", cb.Explain());
        Assert.Contains("[sum_row div]", cb.Explain());

        // A weight that requires grad stays out of every group.
        var w = Leaf(Data([6], DType.Float32, 12));
        Tensor Weighted(Tensor a) => SoftmaxPrimitives(a * w);
        var cw = Graph.Compile(Weighted);
        Assert.Equal(Bits(Weighted(x)), Bits(cw.Call(x)));
        Assert.DoesNotContain("fused_rows", cw.GraphFor(x));

        // A graph with the pass switched off stays as traced (dynamic dims fuse: DynamicFusionTests).
        var off = Graph.Compile(SoftmaxPrimitives, new CompileOptions { Passes = GraphPasses.All & ~GraphPasses.RowFusion });
        Assert.Equal(Bits(SoftmaxPrimitives(x)), Bits(off.Call(x)));
        Assert.DoesNotContain("fused_rows", off.GraphFor(x));
    }

    [Fact]
    public void SaveAndLoadKeepTheFusedOp()
    {
        foreach (var f in new Func<Tensor, Tensor>[] { SoftmaxPrimitives, LayerNormPrimitives, LogSoftmaxPrimitives })
        {
            var cf = Graph.Compile(f);
            var x = Data([5, 9], DType.Float32, 13);
            cf.Call(x);
            using var stream = new MemoryStream();
            cf.Save(stream);
            stream.Position = 0;
            var loaded = CompiledFunction.Load(stream);
            Assert.Contains("fused_rows", loaded.GraphFor(x));
            Assert.Equal(Bits(f(x)), Bits(loaded.Call(x)));
        }
    }
}
