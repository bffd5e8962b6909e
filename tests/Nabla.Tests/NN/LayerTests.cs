using Nabla.Backends.Reference;
using Nabla.NN;
using Nabla.Tests.OpDb;
using Nabla.Tests.TestUtil;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>Every layer's forward against values worked out by hand or naive loops.</summary>
public class LayerTests
{
    static Tensor D(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    static Tensor Range(int n, params int[] shape) => D(Enumerable.Range(0, n).Select(i => (double)i).ToArray(), shape);

    [Fact]
    public void LinearComputesXWTransposedPlusBias()
    {
        var fc = new Linear(2, 3, dtype: DType.Float64);
        fc.Weight.Assign(D([1, 2, 3, 4, 5, 6], 3, 2));
        fc.Bias!.Assign(D([0.5, -1, 0], 3));
        Assert.Equal([-0.5, -2, -1], fc.Call(D([1, -1], 1, 2)).ToArray<double>());
        // Any leading dims work: [2, 1, 2] -> [2, 1, 3].
        Assert.Equal([2, 1, 3], fc.Call(D([1, -1, 0, 1], 2, 1, 2)).Shape.ToArray());
        Assert.Equal([2.5, 3, 6], fc.Call(D([0, 1], 1, 2)).ToArray<double>());
        Assert.Throws<ArgumentException>(() => fc.Call(D([1, 2, 3], 1, 3)));
    }

    [Fact]
    public void Conv2dByHand()
    {
        var x = Range(9, 1, 1, 3, 3) + 1;                                    // 1..9
        var w = D([1, 0, 0, -1], 1, 1, 2, 2);
        Assert.Equal([-3, -3, -3, -3], F.Conv2d(x, w, D([1], 1)).ToArray<double>());
        // padding 1, stride 2: windows at (-1,-1), (-1,1), (1,-1), (1,1) read zeros outside.
        Assert.Equal([-1, -3, -7, -4], F.Conv2d(x, w, stride: 2, padding: 1).ToArray<double>());
        // dilation 2 on a 3x3 input with a 2x2 kernel: one window, x[0,0] - x[2,2] = 1 - 9.
        Assert.Equal([-8], F.Conv2d(x, w, dilation: 2).ToArray<double>());
    }

    public static IEnumerable<object[]> ConvCases =>
    [
        [1, 1, 1, 1, 3, 4, 3, 2],
        [2, 1, 1, 1, 3, 2, 3, 3],
        [1, 2, 1, 1, 2, 3, 1, 2],
        [2, 1, 2, 1, 2, 2, 3, 1],
        [1, 1, 1, 2, 4, 6, 3, 3],
        [3, 2, 1, 4, 4, 8, 2, 2],
        [1, 0, 3, 3, 3, 3, 2, 2],
    ];

    [Theory, MemberData(nameof(ConvCases))]
    public void Conv2dModuleMatchesNaiveLoops(int stride, int padding, int dilation, int groups, int c, int o, int kh, int kw)
    {
        var conv = new Conv2d(c, o, (kh, kw), stride, padding, dilation, groups, seed: 7, dtype: DType.Float64);
        var x = Samples.Uniform(11, [2, c, 9, 8]);
        var expected = NNReference.Conv2d(RefArray.From(x), RefArray.From(conv.Weight), RefArray.From(conv.Bias!),
            (stride, stride), (padding, padding), (dilation, dilation), groups);
        Approx.Equal(expected, conv.Call(x), 1e-12, $"conv s{stride} p{padding} d{dilation} g{groups}");
        // float32 and an unbatched input give the same numbers.
        var conv32 = new Conv2d(c, o, (kh, kw), stride, padding, dilation, groups, seed: 7);
        Approx.Equal(new RefArray(expected.Data[..(expected.Count / 2)], expected.Shape[1..]), conv32.Call(x[0].To(DType.Float32)), 1e-5, "float32 unbatched");
    }

    [Fact]
    public void Conv2dRejectsMismatchedChannels()
    {
        var conv = new Conv2d(4, 2, 3, groups: 2);
        var ex = Assert.Throws<ArgumentException>(() => conv.Call(Tensor.Zeros(1, 3, 5, 5)));
        Assert.Contains("has 3", ex.Message);
        Assert.Throws<ArgumentException>(() => conv.Call(Tensor.Zeros(1, 4, 2, 2)));   // smaller than the kernel
        Assert.Throws<ArgumentException>(() => new Conv2d(3, 2, 3, groups: 2));
    }

    [Fact]
    public void PoolingByHand()
    {
        var x = Range(16, 1, 1, 4, 4);
        Assert.Equal([5, 7, 13, 15], new MaxPool2d(2).Call(x).ToArray<double>());
        Assert.Equal([2.5, 4.5, 10.5, 12.5], new AvgPool2d(2).Call(x).ToArray<double>());
        Assert.Equal([10, 11, 14, 15], new MaxPool2d(3, stride: 1).Call(x).ToArray<double>());

        var small = D([1, 2, 3, 4], 1, 1, 2, 2);
        // Kernel 2, stride 1, padding 1: 3x3 windows over the zero-padded 4x4.
        Assert.Equal([0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1], F.AvgPool2d(small, 2, stride: 1, padding: 1).ToArray<double>());
        Assert.Equal([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4], F.AvgPool2d(small, 2, stride: 1, padding: 1, countIncludePad: false).ToArray<double>());
        // Max pooling never picks the padding, even when every real value is negative.
        Assert.Equal([-1, -1, -2, -1, -1, -2, -3, -3, -4], F.MaxPool2d(-small, 2, stride: 1, padding: 1).ToArray<double>());
        Assert.Throws<ArgumentException>(() => F.MaxPool2d(small, 2, padding: 2));
    }

    [Fact]
    public void PoolingMatchesNaiveLoopsOnLargerInputs()
    {
        var x = Samples.Uniform(12, [3, 2, 11, 9]);
        var r = RefArray.From(x);
        Approx.Equal(NNReference.Pool(r, (3, 2), (2, 3), (1, 1), max: true), F.MaxPool2d(x, (3, 2), (2, 3), (1, 1)), 1e-15, "max");
        Approx.Equal(NNReference.Pool(r, (3, 3), (3, 3), (0, 0), max: false), new AvgPool2d(3).Call(x), 1e-14, "avg");
    }

    [Fact]
    public void FlattenMergesDims()
    {
        var x = Range(24, 2, 3, 4);
        Assert.Equal([2, 12], new Flatten().Call(x).Shape.ToArray());
        Assert.Equal([6, 4], new Flatten(0, 1).Call(x).Shape.ToArray());
        Assert.Equal(x.ToArray<double>(), new Flatten().Call(x).ToArray<double>());
    }

    [Fact]
    public void EmbeddingPicksRowsAndSendsGradientsToThem()
    {
        var emb = new Embedding(5, 2, dtype: DType.Float64);
        emb.Weight.Assign(Range(10, 5, 2));
        var idx = Tensor.FromArray(new long[] { 1, 4, 4, 0 }, [2, 2]);
        var y = emb.Call(idx);
        Assert.Equal([2, 2, 2], y.Shape.ToArray());
        Assert.Equal([2, 3, 8, 9, 8, 9, 0, 1], y.ToArray<double>());
        y.Sum().Backward();
        Assert.Equal([1, 1, 1, 1, 0, 0, 0, 0, 2, 2], emb.Weight.Grad!.ToArray<double>());
        Assert.Equal([2, 3], emb.Call(Tensor.FromArray(new[] { 1 }, [1])).ToArray<double>());   // int32 indices
        Assert.Throws<ArgumentOutOfRangeException>(() => emb.Call(Tensor.FromArray(new long[] { 5 }, [1])));
    }

    [Fact]
    public void LayerNormByHand()
    {
        var ln = new LayerNorm(3, dtype: DType.Float64);
        var y = ln.Call(D([1, 2, 3, -1, -1, 5], 2, 3)).ToArray<double>();
        double s1 = Math.Sqrt(2.0 / 3 + 1e-5), s2 = Math.Sqrt(8 + 1e-5);   // mean 2, var 2/3; mean 1, var 8
        Approx.Equal([-1 / s1, 0, 1 / s1, -2 / s2, -2 / s2, 4 / s2], y, 1e-14, "layer norm");
        ln.Weight!.Assign(D([1, 2, 3], 3));
        ln.Bias!.Assign(D([0, 0, 1], 3));
        Approx.Equal([-1 / s1, 0, 3 / s1 + 1], ln.Call(D([1, 2, 3], 3)).ToDoubleArray(), 1e-14, "affine");
        Assert.Throws<ArgumentException>(() => ln.Call(D([1, 2], 2)));
        // Two trailing dims.
        var ln2 = new LayerNorm([2, 2], dtype: DType.Float64);
        double s = Math.Sqrt(1.25 + 1e-5);                                  // 0..3: mean 1.5, var 1.25
        Approx.Equal([-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], ln2.Call(Range(4, 1, 2, 2)).ToDoubleArray(), 1e-14, "2-d shape");
    }

    [Fact]
    public void ActivationsByHand()
    {
        var x = D([-1, 0, 1, 2], 4);
        Assert.Equal([0, 0, 1, 2], new ReLU().Call(x).ToArray<double>());
        Approx.Equal([Math.Tanh(-1), 0, Math.Tanh(1), Math.Tanh(2)], new Tanh().Call(x).ToDoubleArray(), 1e-15, "tanh");
        Approx.Equal([1 / (1 + Math.E), 0.5, 1 / (1 + 1 / Math.E), 1 / (1 + Math.Exp(-2))], new Sigmoid().Call(x).ToDoubleArray(), 1e-15, "sigmoid");
        // GELU(x) = x·Φ(x); Φ(1) = 0.8413447460685429, Φ(2) = 0.9772498680518208.
        Approx.Equal([-0.15865525393145707, 0, 0.8413447460685429, 2 * 0.9772498680518208], new GELU().Call(x).ToDoubleArray(), 1e-15, "gelu");
        static double TanhGelu(double v) => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
        Approx.Equal([TanhGelu(-1), 0, TanhGelu(1), TanhGelu(2)], new GELU(GeluApproximation.Tanh).Call(x).ToDoubleArray(), 1e-15, "gelu tanh");
        double z = Math.Exp(0) + Math.Exp(1) + Math.Exp(2);
        Approx.Equal([1 / z, Math.E / z, Math.Exp(2) / z], new Softmax(0).Call(D([0, 1, 2], 3)).ToDoubleArray(), 1e-15, "softmax");
        Approx.Equal([-Math.Log(z), 1 - Math.Log(z), 2 - Math.Log(z)], new LogSoftmax(-1).Call(D([0, 1, 2], 1, 3)).ToDoubleArray(), 1e-15, "log softmax");
        Assert.True(double.IsNaN(F.Gelu(D([double.NaN], 1)).Item<double>()));
    }

    [Fact]
    public void ErfMatchesKnownValues()
    {
        // erf at 0.1 ... 4.5 (high-precision tables; the documented accuracy is 1e-15), odd symmetry, limits.
        // 0.3 and 1.5 cover the Taylor and positive-series ranges.
        double[] xs = [0.1, 0.5, 1, 2, 3, 4.5, -1, 0, 1e-10, 30, 0.3, 1.5];
        double[] expected = [0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, 0.9999779095030014,
            0.9999999998033839, -0.8427007929497149, 0, 1.1283791670955126e-10, 1, 0.3286267594591274, 0.9661051464753108];
        var y = F.Erf(D(xs, xs.Length)).ToDoubleArray();
        for (int i = 0; i < xs.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-15 * Math.Abs(expected[i]) + 1e-300, $"erf({xs[i]}) = {y[i]:R}, expected {expected[i]:R}");
        Assert.Equal([-1.0, 1.0], F.Erf(D([double.NegativeInfinity, double.PositiveInfinity], 2)).ToArray<double>());
        Assert.True(double.IsNaN(F.Erf(D([double.NaN], 1)).Item<double>()));
        // 1 - erf(x) = erfc(x) is resolved beyond 2.5 too: erfc(3) = 2.209049699858544e-05.
        Assert.Equal(2.209049699858544e-05, 1 - F.Erf(D([3], 1)).Item<double>(), 1e-15);
    }

    [Fact]
    public void UnfoldAndFoldAreTransposes()
    {
        // <unfold(x), c> = <x, fold(c)> for any x, c: the defining property of the pair.
        var x = Samples.Uniform(13, [2, 3, 7, 6]);
        var cols = F.Unfold(x, (3, 2), dilation: (2, 1), padding: (1, 2), stride: (2, 3));
        var c = Samples.Uniform(14, cols.Shape.ToArray());
        var folded = F.Fold(c, (7, 6), (3, 2), dilation: (2, 1), padding: (1, 2), stride: (2, 3));
        Approx.Close(TestTensors.Dot(cols, c), TestTensors.Dot(x, folded), 1e-13, TestTensors.AbsDot(cols, c), "adjoint");
        // fold(unfold(ones)) counts how many windows cover each pixel: 4 in the middle of a 4x4 with 2x2 kernels.
        var counts = F.Fold(F.Unfold(Tensor.Ones([1, 1, 4, 4], DType.Float64), 2), (4, 4), 2).ToArray<double>();
        Assert.Equal([1, 2, 2, 1, 2, 4, 4, 2, 2, 4, 4, 2, 1, 2, 2, 1], counts);
        Assert.Throws<ArgumentException>(() => F.Fold(c, (5, 5), (3, 2)));
    }
}
