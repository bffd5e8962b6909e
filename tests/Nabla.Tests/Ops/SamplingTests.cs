namespace Nabla.Tests.Ops;

/// <summary>
/// Multinomial draws (checked statistically: frequencies within 4.5 standard errors of the exact probabilities, seeded so
/// a run repeats) and the generation filters (hand-computed keeps).
/// </summary>
public class SamplingTests
{
    static void Near(double expected, double observed, int n, string what)
    {
        double se = Math.Sqrt(expected * (1 - expected) / n);
        Assert.True(Math.Abs(observed - expected) <= 4.5 * se + 1e-12, $"{what}: frequency {observed} vs probability {expected} (se {se})");
    }

    [Fact]
    public void WithReplacementFrequenciesMatchTheWeights()
    {
        var w = Tensor.FromArray(new float[] { 1, 2, 7, 0 });   // weights need not sum to 1
        const int n = 20000;
        var ids = w.Multinomial(n, replacement: true, seed: 3);
        Assert.Equal(DType.Int64, ids.DType);
        Assert.Equal([n], ids.Shape.ToArray());
        var counts = new int[4];
        foreach (long id in ids.ToArray<long>()) counts[id]++;
        Assert.Equal(0, counts[3]);                           // a zero weight is never drawn
        double[] p = [0.1, 0.2, 0.7];
        for (int j = 0; j < 3; j++) Near(p[j], counts[j] / (double)n, n, $"category {j}");
        Assert.Equal(ids.ToArray<long>(), w.Multinomial(n, replacement: true, seed: 3).ToArray<long>());
    }

    [Fact]
    public void WithoutReplacementDrawsDistinctCategoriesOneAfterAnother()
    {
        // P(first = i, second = j) = p_i · p_j / (1 - p_i): rows of one distribution, two draws each.
        double[] p = [0.5, 0.3, 0.2];
        const int rows = 20000;
        var w = Tensor.FromArray(new double[] { 0.5, 0.3, 0.2 }, [1, 3]).Expand(rows, 3);
        var ids = w.Multinomial(2, seed: 11).ToArray<long>();
        var pairs = new int[3, 3];
        for (int r = 0; r < rows; r++)
        {
            Assert.NotEqual(ids[2 * r], ids[2 * r + 1]);
            pairs[ids[2 * r], ids[2 * r + 1]]++;
        }
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                if (i != j) Near(p[i] * p[j] / (1 - p[i]), pairs[i, j] / (double)rows, rows, $"pair ({i}, {j})");
        // Every category drawn: a permutation; the only two non-zero weights: exactly those.
        Assert.Equal([0L, 1, 2, 3], Tensor.FromArray(new float[] { 1, 1, 1, 1 }).Multinomial(4, seed: 5).ToArray<long>().Order());
        Assert.Equal([0L, 3], Tensor.FromArray(new float[] { 1, 0, 0, 2 }).Multinomial(2, seed: 5).ToArray<long>().Order());
    }

    [Fact]
    public void BadWeightsAreErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[] { 1, -1 }).Multinomial(1));
        Assert.Contains("Multinomial", e.Message);
        Assert.Contains("SamplingTests.cs:", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[] { 1, float.NaN }).Multinomial(1));
        Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[] { 1, float.PositiveInfinity }).Multinomial(1));
        Assert.Contains("all zeros", Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3]).Multinomial(1, replacement: true)).Message);
        Assert.Contains("replacement: true", Assert.Throws<ArgumentException>(() => Tensor.Ones([3]).Multinomial(4)).Message);
        Assert.Contains("fewer than 2 non-zero", Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[] { 1, 0, 0 }).Multinomial(2)).Message);
        Assert.Throws<ArgumentException>(() => Tensor.Ones([2, 2, 2]).Multinomial(1));
        Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1, 2 }).Multinomial(1));
    }

    static float[] Row(Tensor t) => t.ToArray<float>();

    [Fact]
    public void TopKKeepsTheLargestAndTheirTies()
    {
        var logits = Tensor.FromArray(new float[] { 1, 3, 2, 3 });
        float ninf = float.NegativeInfinity;
        Assert.Equal([ninf, 3, ninf, 3], Row(Sampling.TopK(logits, 2)));
        Assert.Equal([ninf, 3, 2, 3], Row(Sampling.TopK(logits, 3)));
        Assert.Equal([1f, 3, 2, 3], Row(Sampling.TopK(logits, 10)));
        Assert.Contains("SamplingTests.cs:", Assert.Throws<ArgumentException>(() => Sampling.TopK(logits, 0)).Message);
    }

    [Fact]
    public void TopPKeepsTheSmallestSetAboveP()
    {
        // Probabilities 0.15, 0.5, 0.05, 0.3: sorted 0.5, 0.3, 0.15, 0.05, mass before each 0, 0.5, 0.8, 0.95.
        var logits = Tensor.FromArray(new double[] { 0.15, 0.5, 0.05, 0.3 }).Log().To(DType.Float32);
        float ninf = float.NegativeInfinity;
        var kept = (Tensor t) => Row(t).Select(v => !float.IsNegativeInfinity(v)).ToArray();
        Assert.Equal([false, true, false, true], kept(Sampling.TopP(logits, 0.6)));      // 0.5 < 0.6, then 0.3 crosses
        Assert.Equal([false, true, false, false], kept(Sampling.TopP(logits, 0.4)));     // 0.5 alone crosses 0.4
        Assert.Equal([false, true, false, true], kept(Sampling.TopP(logits, 0.4, minTokensToKeep: 2)));
        Assert.Equal([true, true, true, true], kept(Sampling.TopP(logits, 1.0)));
        Assert.Equal(Row(logits)[1], Row(Sampling.TopP(logits, 0.4))[1]);                // kept logits unchanged
        Assert.Equal(ninf, Row(Sampling.TopP(logits, 0.4))[0]);
        Assert.Throws<ArgumentException>(() => Sampling.TopP(logits, 0));
        // Rows are filtered independently.
        var two = Tensor.Stack([logits, logits.Flip(0)]);
        Assert.Equal([false, true, false, false, false, false, true, false], kept(Sampling.TopP(two, 0.4).Reshape(-1)));
    }

    [Fact]
    public void SampleDividesByTemperatureFiltersAndDraws()
    {
        var logits = Tensor.FromArray(new float[,] { { 0, 5, 1 }, { 2, 0, 1 } });
        var greedy = Sampling.Sample(logits, topK: 1, seed: 1);
        Assert.Equal([1L, 0], greedy.ToArray<long>());
        var one = Sampling.Sample(Tensor.FromArray(new float[] { 0, 0, 9 }), temperature: 0.01, seed: 2);
        Assert.Equal(0, one.Rank);
        Assert.Equal(2L, one.Item<long>());
        Assert.Equal([2f, 0, 1], Row(Sampling.Temperature(Tensor.FromArray(new float[] { 1, 0, 0.5f }), 0.5)));
        Assert.Contains("SamplingTests.cs:", Assert.Throws<ArgumentException>(() => Sampling.Temperature(logits, 0)).Message);
        Assert.Throws<ArgumentException>(() => Sampling.Sample(Tensor.Zeros([2, 3, 4])));
    }
}
