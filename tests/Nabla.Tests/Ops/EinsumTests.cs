using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Ops;

/// <summary>Einsum: PyTorch's documented examples, implicit output order, ellipsis, broadcasting, integers, gradients, errors.</summary>
public class EinsumTests
{
    static Tensor Range(int n, params int[] shape) => Tensor.Arange(n, DType.Float64).Reshape(shape);

    [Fact]
    public void TraceDiagonalOuterAndTransposeAsPyTorchsExamples()
    {
        var m = Range(9, 3, 3);
        Assert.Equal(12.0, Tensor.Einsum("ii", m).Item<double>());                        // 0 + 4 + 8
        Assert.Equal([0.0, 4, 8], Tensor.Einsum("ii->i", m).ToDoubleArray());
        var a = Tensor.FromArray(new double[] { 1, 0, -1 }, [3]);
        var b = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5 }, [5]);
        Assert.Equal([1.0, 2, 3, 4, 5, 0, 0, 0, 0, 0, -1, -2, -3, -4, -5], Tensor.Einsum("i,j->ij", a, b).ToDoubleArray());
        Assert.Equal(m.T.ToDoubleArray(), Tensor.Einsum("ji", m).ToDoubleArray());       // implicit output "ij": a transpose
        Assert.Equal(m.ToDoubleArray(), Tensor.Einsum(" i j ", m).ToDoubleArray());       // spaces are ignored
    }

    [Fact]
    public void ImplicitOutputSortsLettersUppercaseFirst()
    {
        var a = Range(6, 2, 3);
        var b = Range(12, 3, 4);
        // "ij,jh": the output is "hi", the transpose of the product.
        Assert.Equal(a.MatMul(b).T.ToDoubleArray(), Tensor.Einsum("ij,jh", a, b).ToDoubleArray());
        Assert.Equal([4, 2], Tensor.Einsum("ij,jh", a, b).Shape.ToArray());
        // "aB": B (uppercase) sorts before a, so the implicit output is "Ba".
        Assert.Equal(a.T.ToDoubleArray(), Tensor.Einsum("aB", a).ToDoubleArray());
    }

    [Fact]
    public void BatchMatmulEllipsisAndBilinearMatchTheirOps()
    {
        var x = Tensor.Randn(3, 2, 5).To(DType.Float64);
        var y = Tensor.Randn(3, 5, 4).To(DType.Float64);
        Approx.Equal(x.Bmm(y).ToDoubleArray(), Tensor.Einsum("bij,bjk->bik", x, y).ToDoubleArray(), 1e-12, "bmm");
        Assert.Equal([2, 3, 5, 4], Tensor.Einsum("...ij->...ji", Tensor.Zeros(2, 3, 4, 5)).Shape.ToArray());
        // "...ij,jk": the ellipsis leads the implicit output.
        Approx.Equal(x.MatMul(y[0]).ToDoubleArray(), Tensor.Einsum("...ij,jk", x, y[0]).ToDoubleArray(), 1e-12, "ellipsis matmul");
        // An explicit output without "..." sums the ellipsis dims.
        Assert.Equal(Range(24, 2, 3, 4).Sum([1, 2]).ToDoubleArray(), Tensor.Einsum("i...->i", Range(24, 2, 3, 4)).ToDoubleArray());
        var l = Tensor.Randn(2, 5).To(DType.Float64);
        var w = Tensor.Randn(3, 5, 4).To(DType.Float64);
        var r = Tensor.Randn(2, 4).To(DType.Float64);
        var expected = new double[6];
        var (lv, wv, rv) = (l.ToDoubleArray(), w.ToDoubleArray(), r.ToDoubleArray());
        for (int bi = 0; bi < 2; bi++)
            for (int ai = 0; ai < 3; ai++)
                for (int n = 0; n < 5; n++)
                    for (int mi = 0; mi < 4; mi++)
                        expected[bi * 3 + ai] += lv[bi * 5 + n] * wv[(ai * 5 + n) * 4 + mi] * rv[bi * 4 + mi];
        Approx.Equal(expected, Tensor.Einsum("bn,anm,bm->ba", l, w, r).ToDoubleArray(), 1e-12, "bilinear");
    }

    [Fact]
    public void SizeOneDimsBroadcastAndIntegersWork()
    {
        var col = Tensor.FromArray(new double[] { 1, 2 }, [2, 1]);
        var m = Range(6, 2, 3);
        // "ij,ij->i" with j of size 1 on the left: row i is col[i] * (sum of m's row i) = [1*3, 2*12].
        Assert.Equal([3.0, 24], Tensor.Einsum("ij,ij->i", col, m).ToDoubleArray());
        var ai = Tensor.FromArray(new long[] { 1, 2, 3, 4 }, [2, 2]);
        var prod = Tensor.Einsum("ij,jk->ik", ai, ai);
        Assert.Equal(DType.Int64, prod.DType);
        Assert.Equal(new long[] { 7, 10, 15, 22 }, prod.ToArray<long>());
        var f = Tensor.Einsum("i,i", Tensor.Ones(3), Tensor.Full([3], 2.0));
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal(6f, f.Item<float>());
    }

    [Fact]
    public void GradientsAreThoseOfTheMatMul()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [2, 2], requiresGrad: true);
        var b = Tensor.FromArray(new double[] { 5, 6, 7, 8 }, [2, 2], requiresGrad: true);
        Tensor.Einsum("ij,jk->", a, b).Backward();   // sum of a·b: da[i, j] = Σk b[j, k], db[j, k] = Σi a[i, j]
        Assert.Equal([11.0, 15, 11, 15], a.Grad!.ToDoubleArray());
        Assert.Equal([4.0, 4, 6, 6], b.Grad!.ToDoubleArray());
        var m = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [2, 2], requiresGrad: true);
        Tensor.Einsum("ii", m).Backward();   // the trace's gradient is the identity
        Assert.Equal([1.0, 0, 0, 1], m.Grad!.ToDoubleArray());
    }

    [Fact]
    public void ErrorsNameTheEquationTheOperandAndTheCaller()
    {
        var m = Tensor.Zeros(2, 3);
        void Throws(string equation, string part, params Tensor[] ops)
        {
            var e = Assert.Throws<ArgumentException>(() => Tensor.Einsum(equation, ops));
            Assert.Contains("Einsum", e.Message);
            Assert.Contains($"\"{equation}\"", e.Message);
            Assert.Contains(part, e.Message);
            Assert.Contains("EinsumTests.cs:", e.Message);
        }
        Throws("ij,jk", "1 tensor(s)", m);
        Throws("ijk", "operand 0", m);
        Throws("ij,jk", "subscript 'j' has size 2 in operand 1", m, m);
        Throws("i.j", "'...'", m);
        Throws("i1", "'1'", m);
        Throws("ij->ii", "twice", m);
        Throws("ij->k", "'k' appears in no operand", m);
        Throws("ii", "repeats subscript 'i'", m);
        Throws("ij,jk", "operand 1 is float64", m, Tensor.Zeros([3, 2], DType.Float64));
        Throws("ij...k", "only 1", Tensor.Zeros(6));
    }
}
