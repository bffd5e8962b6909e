namespace Nabla.Tests.Ops;

/// <summary>Scatter, ScatterReduce and Unique: PyTorch's documented examples, repeated targets, gradients, dtypes, errors.</summary>
public class UniqueScatterTests
{
    static Tensor Longs(long[] values, params int[] shape) => Tensor.FromArray(values, shape);

    [Fact]
    public void ScatterAsPyTorchsExamples()
    {
        var src = Tensor.Arange(1, 11, dtype: DType.Float64).Reshape(2, 5);
        var y0 = Tensor.Zeros([3, 5], DType.Float64).Scatter(0, Longs([0, 1, 2, 0], 1, 4), src);
        Assert.Equal([1.0, 0, 0, 4, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0], y0.ToDoubleArray());
        var y1 = Tensor.Zeros([3, 5], DType.Float64).Scatter(1, Longs([0, 1, 2, 0, 1, 4], 2, 3), src);
        Assert.Equal([1.0, 2, 3, 0, 0, 6, 7, 0, 0, 8, 0, 0, 0, 0, 0], y1.ToDoubleArray());
        var v = Tensor.Full([2, 4], 2.0, DType.Float64).Scatter(1, Longs([2, 3], 2, 1), 1.23);
        Assert.Equal([2.0, 2, 1.23, 2, 2, 2, 2, 1.23], v.ToDoubleArray());
        var ints = Tensor.Zeros([3], DType.Int32).Scatter(0, Longs([2], 1), Tensor.FromArray(new[] { 7 }, [1]));
        Assert.Equal(new[] { 0, 0, 7 }, ints.ToArray<int>());
    }

    [Fact]
    public void RepeatedTargetsTakeTheLastWriteOnEveryRun()
    {
        // PyTorch leaves this undefined; Nabla writes in row-major index order, so the last one wins.
        var src = Tensor.FromArray(new double[] { 1, 2, 3 }, [3]);
        for (int run = 0; run < 3; run++)
            Assert.Equal([2.0, 3, 0], Tensor.Zeros([3], DType.Float64).Scatter(0, Longs([0, 0, 1], 3), src).ToDoubleArray());
    }

    [Fact]
    public void ScatterGradientsMaskTheWrittenPlacesAndGatherForSrc()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [4], requiresGrad: true);
        var src = Tensor.FromArray(new double[] { 5, 6, 7 }, [3], requiresGrad: true);
        var gy = Tensor.FromArray(new double[] { 10, 20, 30, 40 }, [4]);
        x.Scatter(0, Longs([3, 1], 2), src).Backward(gy);
        Assert.Equal([10.0, 0, 30, 0], x.Grad!.ToDoubleArray());
        Assert.Equal([40.0, 20, 0], src.Grad!.ToDoubleArray());   // src[2] is beyond the index: no gradient
    }

    [Fact]
    public void ScatterReduceAsPyTorchsExamples()
    {
        var src = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, [6]);
        var index = Longs([0, 1, 0, 1, 2, 1], 6);
        var input = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [4]);
        Assert.Equal([5.0, 14, 8, 4], input.ScatterReduce(0, index, src, ScatterReduction.Sum).ToDoubleArray());
        Assert.Equal([3.0, 6, 5, 4], input.ScatterReduce(0, index, src, ScatterReduction.AMax, includeSelf: false).ToDoubleArray());
        Assert.Equal([1.0, 2, 3, 4], input.ScatterReduce(0, index, src, ScatterReduction.AMin).ToDoubleArray());
        Assert.Equal([3.0, 96, 15, 4], input.ScatterReduce(0, index, src, ScatterReduction.Prod).ToDoubleArray());   // 1·1·3, 2·2·4·6, 3·5
        Assert.Equal([5 / 3.0, 3.5, 4, 4], input.ScatterReduce(0, index, src, ScatterReduction.Mean).ToDoubleArray());
        Assert.Equal([2.0, 4, 5, 4], input.ScatterReduce(0, index, src, ScatterReduction.Mean, includeSelf: false).ToDoubleArray());
        // Integer mean divides with floor, as PyTorch: (1+1+3)/3 -> 1, (2+2+4+6)/4 -> 3.
        var mean = input.To(DType.Int64).ScatterReduce(0, index, src.To(DType.Int64), ScatterReduction.Mean);
        Assert.Equal(new long[] { 1, 3, 4, 4 }, mean.ToArray<long>());
        var nan = Tensor.FromArray(new double[] { 0, double.NaN }, [2]);
        Assert.True(double.IsNaN(Tensor.Zeros([1], DType.Float64).ScatterReduce(0, Longs([0, 0], 2), nan, ScatterReduction.AMax).Item<double>()));
    }

    [Fact]
    public void ScatterReduceGradientsShareTiesAndSurviveZeros()
    {
        // amax: x[0] = 1 ties with src[0] = 1, so each gets half.
        var x = Tensor.FromArray(new double[] { 1 }, [1], requiresGrad: true);
        var src = Tensor.FromArray(new double[] { 1, 0 }, [2], requiresGrad: true);
        x.ScatterReduce(0, Longs([0, 0], 2), src, ScatterReduction.AMax).Backward();
        Assert.Equal([0.5], x.Grad!.ToDoubleArray());
        Assert.Equal([0.5, 0], src.Grad!.ToDoubleArray());
        // prod: y = 2·0·3 = 0; dy/dsrc = [2·3, 2·0], dy/dx = 0·3, with no NaN from dividing by the zero.
        var px = Tensor.FromArray(new double[] { 2 }, [1], requiresGrad: true);
        var psrc = Tensor.FromArray(new double[] { 0, 3 }, [2], requiresGrad: true);
        px.ScatterReduce(0, Longs([0, 0], 2), psrc, ScatterReduction.Prod).Backward();
        Assert.Equal([0.0], px.Grad!.ToDoubleArray());
        Assert.Equal([6.0, 0], psrc.Grad!.ToDoubleArray());
    }

    [Fact]
    public void ScatterErrorsNameTheOpAndTheCaller()
    {
        var x = Tensor.Zeros(3);
        var e = Assert.Throws<ArgumentException>(() => x.Scatter(0, Longs([1], 1), Tensor.Zeros([1], DType.Float64)));
        Assert.Contains("Scatter", e.Message);
        Assert.Contains("float64", e.Message);
        Assert.Contains("UniqueScatterTests.cs:", e.Message);
        var r = Assert.ThrowsAny<Exception>(() => x.ScatterReduce(0, Longs([5], 1), Tensor.Zeros(1), ScatterReduction.Prod).ToArray<float>());
        Assert.Contains("ScatterReduce", r.Message);
        Assert.Contains("out of range", r.Message);
        var b = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2], DType.Bool).ScatterReduce(0, Longs([0], 1), Tensor.Zeros([1], DType.Bool), ScatterReduction.Sum));
        Assert.Contains("bool", b.Message);
    }

    [Fact]
    public void UniqueAsPyTorchsExamples()
    {
        var (values, inverse, counts) = Longs([1, 3, 2, 3], 4).Unique(returnInverse: true, returnCounts: true);
        Assert.Equal(new long[] { 1, 2, 3 }, values.ToArray<long>());
        Assert.Equal(new long[] { 0, 2, 1, 2 }, inverse!.ToArray<long>());
        Assert.Equal(new long[] { 1, 1, 2 }, counts!.ToArray<long>());
        var (_, inv2) = Longs([1, 3, 2, 3], 2, 2).Unique(returnInverse: true);
        Assert.Equal([2, 2], inv2!.Shape.ToArray());
        Assert.Null(Longs([1], 1).Unique().Counts);
        var rows = Longs([0, 0, 1, 0, 0, 1, 1, 0, 0], 3, 3).Unique(returnInverse: true, returnCounts: true, dim: 0);
        Assert.Equal(new long[] { 0, 0, 1, 1, 0, 0 }, rows.Values.ToArray<long>());
        Assert.Equal(new long[] { 0, 0, 1 }, rows.Inverse!.ToArray<long>());
        Assert.Equal(new long[] { 2, 1 }, rows.Counts!.ToArray<long>());
        var cols = Longs([2, 1, 2, 0, 5, 0], 2, 3).Unique(dim: 1);   // columns (2,0), (1,5), (2,0): sorted (1,5), (2,0)
        Assert.Equal(new long[] { 1, 2, 5, 0 }, cols.Values.ToArray<long>());
    }

    [Fact]
    public void UniqueOrderNaNGradientAndConsecutiveRuns()
    {
        Assert.Equal(new long[] { 3, 1, 2 }, Longs([3, 1, 3, 2], 4).Unique(sorted: false).Values.ToArray<long>());
        var nan = Tensor.FromArray(new[] { double.NaN, 1, double.NaN, 1 }, [4]).Unique(returnCounts: true);
        Assert.Equal(3, nan.Values.NumElements);   // each NaN is its own value, after the numbers
        Assert.Equal(1.0, nan.Values.ToDoubleArray()[0]);
        Assert.Equal(new long[] { 2, 1, 1 }, nan.Counts!.ToArray<long>());
        var x = Tensor.FromArray(new[] { 2f, 1, 2 }, [3], requiresGrad: true);
        var u = x.Unique().Values;
        Assert.False(u.RequiresGrad);   // no gradient, as PyTorch
        Assert.Equal(DType.Float32, u.DType);
        var (v, inv, cnt) = Longs([1, 1, 2, 2, 3, 1, 1, 2], 8).UniqueConsecutive(returnInverse: true, returnCounts: true);
        Assert.Equal(new long[] { 1, 2, 3, 1, 2 }, v.ToArray<long>());
        Assert.Equal(new long[] { 0, 0, 1, 1, 2, 3, 3, 4 }, inv!.ToArray<long>());
        Assert.Equal(new long[] { 2, 2, 1, 2, 1 }, cnt!.ToArray<long>());
        Assert.Equal(0, Tensor.Zeros(0).Unique().Values.NumElements);
        Assert.Contains("counts=", Longs([1], 1).Unique(returnCounts: true).ToString());
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2).Unique(dim: 3));
        Assert.Contains("Unique", e.Message);
        Assert.Contains("UniqueScatterTests.cs:", e.Message);
    }
}
