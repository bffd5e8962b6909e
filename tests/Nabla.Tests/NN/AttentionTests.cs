using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>Scaled dot-product attention: hand values, masks, shapes and errors (the generic checks are OpDb.Attention).</summary>
public class AttentionTests
{
    [Fact]
    public void OneQueryAveragesTheValuesByItsSoftmaxWeights()
    {
        // q = [1, 0], keys [1, 0] and [0, 1], scale 1/√2: scores 1/√2 and 0, weights e^(1/√2)/(e^(1/√2) + 1) and the rest.
        var q = Tensor.FromArray(new double[,] { { 1, 0 } });
        var k = Tensor.FromArray(new double[,] { { 1, 0 }, { 0, 1 } });
        var v = Tensor.FromArray(new double[,] { { 10, 0 }, { 0, 20 } });
        double a = Math.Exp(1 / Math.Sqrt(2)), w0 = a / (a + 1), w1 = 1 / (a + 1);
        var y = F.ScaledDotProductAttention(q, k, v).ToArray<double>();
        Assert.Equal(10 * w0, y[0], 12);
        Assert.Equal(20 * w1, y[1], 12);
    }

    [Fact]
    public void CausalMaskMatchesTheBoolTriangleAndTheFirstRowCopiesTheFirstValue()
    {
        var q = Tensor.Randn([2, 3, 4, 8], DType.Float64, seed: 1);   // [batch, heads, T, headDim]
        var k = Tensor.Randn([2, 3, 4, 8], DType.Float64, seed: 2);
        var v = Tensor.Randn([2, 3, 4, 5], DType.Float64, seed: 3);
        var causal = F.ScaledDotProductAttention(q, k, v, isCausal: true);
        var triangle = F.ScaledDotProductAttention(q, k, v, attnMask: Tensor.Ones([4, 4], DType.Bool).Tril());
        var minusInf = Tensor.Full([4, 4], double.NegativeInfinity, DType.Float64).Triu(1);
        var additive = F.ScaledDotProductAttention(q, k, v, attnMask: minusInf);
        Assert.Equal([2, 3, 4, 5], causal.Shape.ToArray());
        // The same numbers up to rounding (a masked fill and an added -∞ may lay the scores out differently).
        foreach (var other in new[] { triangle, additive })
            Assert.All(causal.ToArray<double>().Zip(other.ToArray<double>()), p => Assert.Equal(p.First, p.Second, 1e-13));
        Assert.Equal(v[.., .., 0].ToArray<double>(), causal[.., .., 0].ToArray<double>());   // position 0 sees only key 0
    }

    [Fact]
    public void GradientsFlowToQueryKeyAndValue()
    {
        var q = Tensor.Randn([2, 3, 4], DType.Float64, seed: 4, requiresGrad: true);
        var k = Tensor.Randn([2, 5, 4], DType.Float64, seed: 5, requiresGrad: true);
        var v = Tensor.Randn([2, 5, 3], DType.Float64, seed: 6, requiresGrad: true);
        F.ScaledDotProductAttention(q, k, v).Sum().Backward();
        // Σ over outputs of the weights times v: d/dv[j] = Σ_i w[i, j] (the weights sum to 1 over j, so Σ_j is L = 3).
        Assert.Equal(2 * 3 * 3, v.Grad!.Sum().Item<double>(), 10);
        Assert.NotNull(q.Grad);
        Assert.NotNull(k.Grad);
    }

    [Fact]
    public void DropoutWithASeedRepeatsAndZeroIsTheIdentity()
    {
        var q = Tensor.Randn([1, 6, 4], seed: 7);
        var a = F.ScaledDotProductAttention(q, q, q, dropoutP: 0.5, seed: 3).ToArray<float>();
        Assert.Equal(a, F.ScaledDotProductAttention(q, q, q, dropoutP: 0.5, seed: 3).ToArray<float>());
        Assert.NotEqual(a, F.ScaledDotProductAttention(q, q, q).ToArray<float>());
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        var q = Tensor.Zeros([2, 3, 4]);
        var e = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, Tensor.Zeros([2, 5, 3]), Tensor.Zeros([2, 5, 3])));
        Assert.Contains("ScaledDotProductAttention", e.Message);
        Assert.Contains("AttentionTests.cs:", e.Message);
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, q, Tensor.Zeros([2, 4, 4])));
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, q, q, attnMask: Tensor.Ones([3, 3], DType.Bool), isCausal: true));
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, q, q, attnMask: Tensor.Ones([3, 3], DType.Int64)));
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, q, q.To(DType.Float64)));
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, q, q, dropoutP: 1));
    }
}
