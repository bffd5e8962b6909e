using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>
/// B read through a transposed view (k steps contiguous, as Linear's x·Wᵀ): the AVX transposing pack must place every
/// element where the scalar pack did (dst[s*kc*nr + p*nr + j'] = B[p, s*nr + j'], zero past the last column), across
/// k tails (kc not a multiple of 8), column strides, offsets and a partial last sliver; and whole products A·Bᵀ must
/// equal, bit for bit, the same product with Bᵀ copied to row-major first (the untouched row-major pack), at odd
/// sizes 1..130, on strided A and on a Bᵀ that is a slice of a wider matrix, with 1 and 2 threads.
/// </summary>
[Collection(CpuStateCollection.Name)]
public class GemmTransposedBTests
{
    [Theory]
    [InlineData(32, 1, 1, 0)]
    [InlineData(32, 7, 7, 3)]
    [InlineData(32, 8, 8, 0)]
    [InlineData(64, 17, 40, 5)]
    [InlineData(70, 37, 37, 1)]
    [InlineData(96, 384, 400, 7)]
    [InlineData(16, 256, 256, 0)]
    public void PackBPlacesEveryElementOfATransposedView(int nc, int kc, int cs, int off)
    {
        int nr = GemmMicroKernel<float, System.Runtime.Intrinsics.Vector512<float>, GemmVec512<float>>.NR;
        var b = new float[off + nc * cs];                      // B[p, j] at off + p + j*cs: columns side by side
        for (int i = 0; i < b.Length; i++) b[i] = i + 1;       // distinct and nonzero: a misplaced copy shows
        int slivers = (nc + nr - 1) / nr;
        var dst = new float[slivers * kc * nr];
        Array.Fill(dst, float.NaN);                            // a slot left unwritten shows too
        GemmPack.PackB(b, off, 1, cs, kc, nc, nr, dst, 0, slivers);
        for (int s = 0; s < slivers; s++)
            for (int p = 0; p < kc; p++)
                for (int j = 0; j < nr; j++)
                {
                    int col = s * nr + j;
                    float expected = col < nc ? b[off + p + col * cs] : 0f;
                    Assert.Equal(expected, dst[s * kc * nr + p * nr + j]);
                }
    }

    public static TheoryData<int, int, int> OddSizes()
    {
        var data = new TheoryData<int, int, int>();
        int[] sizes = [1, 3, 7, 8, 17, 31, 33, 65, 97, 130];
        foreach (var m in new[] { 1, 7, 65, 130 })
            foreach (var k in sizes)
                data.Add(m, k, sizes[(k + m) % sizes.Length]);
        data.Add(130, 130, 130);
        data.Add(64, 784, 128);
        data.Add(6, 400, 96);
        return data;
    }

    [Theory]
    [MemberData(nameof(OddSizes))]
    public void TransposedBProductEqualsTheRowMajorProductBitwise(int m, int k, int n)
    {
        var x = Tensor.Randn([m, k], seed: m * 1000 + k);
        var w = Tensor.Randn([n, k], seed: n * 7 + 1);
        foreach (var threads in new[] { 1, 2 })
        {
            var viaView = CpuState.WithThreads(threads, () => x.MatMul(w.T).ToArray<float>());
            var viaCopy = CpuState.WithThreads(threads, () => x.MatMul(w.T.Contiguous()).ToArray<float>());
            Assert.Equal(viaCopy, viaView);
        }
    }

    [Theory]
    [InlineData(13, 70, 45)]
    [InlineData(65, 97, 33)]
    public void StridedOperandsEqualTheirContiguousCopiesBitwise(int m, int k, int n)
    {
        // A read through a column slice (row stride k + 5) and Bᵀ a slice of a wider weight (column stride k + 3).
        var xWide = Tensor.Randn([m, k + 5], seed: 11);
        var wWide = Tensor.Randn([n, k + 3], seed: 12);
        var x = xWide.Narrow(1, 2, k);
        var wt = wWide.Narrow(1, 3, k).T;
        var viaViews = x.MatMul(wt).ToArray<float>();
        var viaCopies = x.Contiguous().MatMul(wt.Contiguous()).ToArray<float>();
        Assert.Equal(viaCopies, viaViews);
    }

    [Theory]
    [InlineData(256)]
    [InlineData(128)]
    public void NarrowerKernelsPackTheTransposedViewToTheSameBits(int bits)
    {
        // 256-bit: slivers of 16 columns (two 8x8 blocks); 128-bit: 8 columns (one block).
        Gemm.ForceVectorBits = bits;
        try
        {
            foreach (var (m, k, n) in new[] { (7, 5, 33), (13, 70, 17), (65, 400, 47) })
            {
                var x = Tensor.Randn([m, k], seed: m + k);
                var w = Tensor.Randn([n, k], seed: n + 3);
                Assert.Equal(x.MatMul(w.T.Contiguous()).ToArray<float>(), x.MatMul(w.T).ToArray<float>());
            }
        }
        finally
        {
            Gemm.ForceVectorBits = 0;
        }
    }

    [Fact]
    public void TransposedBProductMatchesHandValues()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var w = Tensor.FromArray(new float[] { 1, 0, -1, 2, 1, 0.5f }, [2, 3]);
        Assert.Equal(new float[] { -2, 5.5f, -2, 16 }, x.MatMul(w.T).ToArray<float>());
    }
}
