using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>Embedding's paddingIdx, maxNorm and scaleGradByFreq, and EmbeddingBag, against values worked out by hand.</summary>
public class EmbeddingOptionsTests
{
    static Tensor I(params long[] v) => Tensor.FromArray(v, [v.Length]);

    // Rows r0 = [0, 1], r1 = [2, 3], r2 = [4, 5], r3 = [6, 7].
    static Tensor Table(DType dtype = DType.Float64) => Tensor.FromArray(new double[] { 0, 1, 2, 3, 4, 5, 6, 7 }, [4, 2], requiresGrad: true).To(dtype);

    static Tensor Leaf(DType dtype = DType.Float64)
    {
        var t = Table(dtype).Detach();
        t.RequiresGrad = true;
        return t;
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void PaddingRowGetsNoGradientAndScaleGradByFreqDividesByCounts(DType dtype)
    {
        var w = Leaf(dtype);
        var y = F.Embedding(I(1, 2, 1, 3), w, paddingIdx: 1);
        Assert.Equal([2.0, 3, 4, 5, 2, 3, 6, 7], y.ToDoubleArray());   // values unchanged
        y.Sum().Backward();
        Assert.Equal([0.0, 0, 0, 0, 1, 1, 1, 1], w.Grad!.ToDoubleArray());
        // Negative paddingIdx counts from the end: -1 is row 3.
        w = Leaf(dtype);
        F.Embedding(I(3, 0), w, paddingIdx: -1).Sum().Backward();
        Assert.Equal([1.0, 1, 0, 0, 0, 0, 0, 0], w.Grad!.ToDoubleArray());
        // scaleGradByFreq: index 0 occurs 3 times, 2 once: each row's gradient is (sum of its grads) / count.
        w = Leaf(dtype);
        var z = F.Embedding(I(0, 0, 2, 0), w, scaleGradByFreq: true);
        (z * Tensor.FromArray(new double[] { 1, 1, 2, 2, 3, 3, 4, 4 }, [4, 2]).To(dtype)).Sum().Backward();
        Nabla.Tests.TestUtil.Approx.Equal([(1 + 2 + 4) / 3.0, 7 / 3.0, 0, 0, 3, 3, 0, 0], w.Grad!.ToDoubleArray(), dtype == DType.Float32 ? 1e-6 : 1e-15, "gradient");
    }

    [Fact]
    public void MaxNormRenormalizesLookedUpRowsInPlace()
    {
        var w = Tensor.FromArray(new double[] { 3, 4, 0.3, 0.4, 6, 8 }, [3, 2]);
        var y = F.Embedding(I(0, 1, 0), w, maxNorm: 1);
        double s = 1 / (5 + 1e-7);   // PyTorch's factor maxNorm/(norm + 1e-7)
        Assert.Equal([3 * s, 4 * s, 0.3, 0.4, 3 * s, 4 * s], y.ToDoubleArray());
        // The table itself changed, only in the rows looked up: row 2 (norm 10) was not.
        Assert.Equal([3 * s, 4 * s, 0.3, 0.4, 6, 8], w.ToDoubleArray());
        // normType 1: |6| + |8| = 14 → scaled to norm 2.
        F.Embedding(I(2), w, maxNorm: 2, normType: 1);
        double s1 = 2 / (14 + 1e-7);
        Assert.Equal([6 * s1, 8 * s1], w.ToDoubleArray()[4..]);
        var ex = Assert.Throws<ArgumentException>(() => F.Embedding(I(0), w, maxNorm: -1));
        Assert.Contains("Embedding: maxNorm must be positive", ex.Message);
        Assert.Contains("EmbeddingOptionsTests.cs:", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Embedding(I(0), w, paddingIdx: 3));
        Assert.Contains("paddingIdx 3 must be within the 3 embeddings", ex.Message);
    }

    [Fact]
    public void EmbeddingModulesZeroThePaddingRow()
    {
        var emb = new Embedding(5, 3, paddingIdx: -2, maxNorm: 10, seed: 1, dtype: DType.Float64);
        Assert.Equal(3, emb.PaddingIdx);
        Assert.Equal([0.0, 0, 0], emb.Weight.ToDoubleArray()[9..12]);
        Assert.Equal("Embedding(5, 3, paddingIdx=3, maxNorm=10)", emb.ToString());
        var bag = new EmbeddingBag(4, 2, mode: EmbeddingBagMode.Sum, paddingIdx: 0, seed: 2, dtype: DType.Float64);
        Assert.Equal([0.0, 0], bag.Weight.ToDoubleArray()[..2]);
        var ex = Assert.Throws<ArgumentException>(() => new Embedding(3, 2, paddingIdx: 3));
        Assert.Contains("Embedding: paddingIdx 3 must be within the 3 embeddings (-3..2)", ex.Message);
        Assert.Contains("EmbeddingOptionsTests.cs:", ex.Message);
    }

    [Fact]
    public void EmbeddingBagModesByHand()
    {
        // Bags of [1, 2, 3, 0, 2] at offsets [0, 2, 2]: {r1, r2}, {}, {r3, r0, r2}.
        var input = I(1, 2, 3, 0, 2);
        var offsets = I(0, 2, 2);
        Assert.Equal([6.0, 8, 0, 0, 10, 13], F.EmbeddingBag(input, Table(), offsets, EmbeddingBagMode.Sum).ToDoubleArray());
        Assert.Equal([3.0, 4, 0, 0, 10 / 3.0, 13 / 3.0], F.EmbeddingBag(input, Table(), offsets).ToDoubleArray());   // Mean is the default
        Assert.Equal([4.0, 5, 0, 0, 6, 7], F.EmbeddingBag(input, Table(), offsets, EmbeddingBagMode.Max).ToDoubleArray());
        // CSR offsets with the end: the same bags.
        Assert.Equal([6.0, 8, 0, 0, 10, 13], F.EmbeddingBag(input, Table(), I(0, 2, 2, 5), EmbeddingBagMode.Sum, includeLastOffset: true).ToDoubleArray());
        // paddingIdx 2 leaves r2 out (Mean counts the rest): {r1}, {}, {r3, r0}.
        Assert.Equal([2.0, 3, 0, 0, 3, 4], F.EmbeddingBag(input, Table(), offsets, paddingIdx: 2).ToDoubleArray());
        // Per-sample weights [1, 2, 0.5, 1, 1]: r1 + 2·r2 and 0.5·r3 + r0 + r2.
        var psw = Tensor.FromArray(new double[] { 1, 2, 0.5, 1, 1 }, [5]);
        Assert.Equal([10.0, 13, 0, 0, 7, 9.5], F.EmbeddingBag(input, Table(), offsets, EmbeddingBagMode.Sum, psw).ToDoubleArray());
        // Only empty bags: zeros in every mode.
        Assert.Equal([0.0, 0, 0, 0], F.EmbeddingBag(I(), Table(), I(0, 0), EmbeddingBagMode.Max).ToDoubleArray());
        // A 2-d input: one bag per row, float32 too.
        var rows = Tensor.FromArray(new long[] { 1, 2, 3, 0 }, [2, 2]);
        Assert.Equal([3.0, 4, 3, 4], F.EmbeddingBag(rows, Table(DType.Float32)).ToDoubleArray());
    }

    [Fact]
    public void EmbeddingBagGradients()
    {
        // Max sends the gradient to the first maximal entry: both entries are r1, so r1 gets 1, not 2 (Sum gives 2).
        var w = Leaf();
        F.EmbeddingBag(Tensor.FromArray(new long[] { 1, 1 }, [1, 2]), w, mode: EmbeddingBagMode.Max).Sum().Backward();
        Assert.Equal([0.0, 0, 1, 1, 0, 0, 0, 0], w.Grad!.ToDoubleArray());
        // Mean: each entry gets 1/count; padding entries nothing.
        w = Leaf();
        F.EmbeddingBag(I(1, 2, 3, 0, 2), w, I(0, 2), paddingIdx: 3).Sum().Backward();
        Assert.Equal([0.5, 0.5, 0.5, 0.5, 1, 1, 0, 0], w.Grad!.ToDoubleArray());
        // Per-sample weights are differentiable: d/dw_i Σ = Σ_k row(i)[k].
        var psw = Tensor.FromArray(new double[] { 1, 1, 1 }, [3], requiresGrad: true);
        F.EmbeddingBag(I(1, 2, 3), Table(), I(0), EmbeddingBagMode.Sum, psw).Sum().Backward();
        Assert.Equal([5.0, 9, 13], psw.Grad!.ToDoubleArray());
    }

    [Fact]
    public void EmbeddingBagErrorsNameTheCaller()
    {
        void Throws(Action call, string text)
        {
            var ex = Assert.Throws<ArgumentException>(call);
            Assert.Contains("EmbeddingBag: " + text, ex.Message);
            Assert.Contains("EmbeddingOptionsTests.cs:", ex.Message);
        }
        var input = I(1, 2, 3);
        Throws(() => F.EmbeddingBag(input, Table(), I(1, 2)), "offsets must start at 0, got 1");
        Throws(() => F.EmbeddingBag(input, Table(), I(0, 2, 1)), "offsets must not decrease, got 2 then 1 at 2");
        Throws(() => F.EmbeddingBag(input, Table(), I(0, 4)), "offsets must not pass the input's length 3, got 4");
        Throws(() => F.EmbeddingBag(input, Table()), "a 1-d input needs offsets");
        Throws(() => F.EmbeddingBag(input.Reshape(1, 3), Table(), I(0)), "a 2-d input [1, 3] int64 holds one bag per row");
        Throws(() => F.EmbeddingBag(input, Table(), I(0), perSampleWeights: Tensor.Ones([3], DType.Float64)), "perSampleWeights are only supported with EmbeddingBagMode.Sum");
        Throws(() => F.EmbeddingBag(input, Table(), I(0), EmbeddingBagMode.Sum, Tensor.Ones([2], DType.Float64)), "perSampleWeights must have the input's shape");
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => F.EmbeddingBag(I(4), Table(), I(0)));
        Assert.Contains("EmbeddingBag: index 4 is out of range for 4 embeddings", range.Message);
        Assert.Contains("EmbeddingOptionsTests.cs:", range.Message);
    }
}
