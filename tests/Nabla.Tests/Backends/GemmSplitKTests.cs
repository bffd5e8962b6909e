using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>
/// Products with a small output and a long k, which the GEMM splits over fixed chunks of k
/// (<see cref="GemmSplitKRule"/>). Checked against a double-precision product with the forward-error
/// bound of <see cref="GemmTests"/> (|err| ≤ 2(k+2)·u·Σ|a||b|; chunk partials summed in order stay within
/// it), and bit for bit across thread counts.
/// </summary>
[Collection(CpuStateCollection.Name)]
public class GemmSplitKTests
{
    [Theory]
    [InlineData(32, 50176, 9, 1568)]      // conv1 weight gradient: 32 chunks
    [InlineData(64, 12544, 288, 1056)]    // conv2 weight gradient: 12 chunks
    [InlineData(128, 4096, 128, 1024)]    // 4 chunks
    [InlineData(7, 3000, 5, 1504)]        // 2 chunks (3000 / 1024 = 2)
    [InlineData(3, 2048, 3, 1024)]        // the shortest k split
    [InlineData(3, 2047, 3, 0)]           // k shorter than two chunks
    [InlineData(512, 3000, 100, 0)]       // k < 8·max(m, n)
    [InlineData(256, 100000, 256, 0)]     // m·n above MaxOutput
    [InlineData(128, 100000, 256, 3136)]  // m·n at MaxOutput: 32 chunks (the scratch bound)
    [InlineData(512, 128, 784, 0)]        // a Linear weight gradient: k is the batch
    [InlineData(1024, 1024, 1024, 0)]
    public void RuleDependsOnTheShapeOnly(int m, int k, int n, int expected)
    {
        int len = GemmSplitKRule.ChunkLength(m, k, n);
        Assert.Equal(expected, len);
        if (len == 0) return;
        int chunks = (k + len - 1) / len;
        Assert.True(chunks >= 2 && chunks <= GemmSplitKRule.MaxChunks, $"{chunks} chunks");
        Assert.True((long)chunks * m * n <= GemmSplitKRule.MaxScratch);
        Assert.True(len >= GemmSplitKRule.MinChunk);
    }

    // Element (b, i, j) of an operand at Offset + b*BatchStride + i*RowStride + j*ColStride.
    static double At(double[] x, GemmOperand g, int bi, int i, int j) => x[g.Offset + bi * g.BatchStride + i * g.RowStride + j * g.ColStride];

    static void Check<T>(T[] c, GemmOperand gc, double[] a, GemmOperand ga, double[] b, GemmOperand gb,
        int batch, int m, int k, int n, double u) where T : unmanaged, System.Numerics.INumber<T>
    {
        var col = new double[k];
        for (int bi = 0; bi < batch; bi++)
            for (int j = 0; j < n; j++)
            {
                for (int p = 0; p < k; p++) col[p] = At(b, gb, bi, p, j);
                for (int i = 0; i < m; i++)
                {
                    double s = 0, mag = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double t = At(a, ga, bi, i, p) * col[p];
                        s += t;
                        mag += Math.Abs(t);
                    }
                    double got = double.CreateTruncating(c[gc.Offset + bi * gc.BatchStride + i * gc.RowStride + j]);
                    double tol = 2 * (k + 2) * u * mag;
                    if (!(Math.Abs(got - s) <= tol))
                        Assert.Fail($"[{batch}x{m}x{k}x{n}] C[{bi},{i},{j}] = {got}, expected {s} (tol {tol})");
                }
            }
    }

    /// <summary>
    /// A [m, k] (or its transpose read in place), B [k, n] (or transposed, as a convolution's colsᵀ),
    /// C with rows spaced by n + <paramref name="cPad"/>; float64 and float32, every element checked,
    /// including that C's padding is left alone.
    /// </summary>
    static void RunCase(int batch, int m, int k, int n, bool transA, bool transB, int cPad, int seed)
    {
        var ga = transA ? new GemmOperand(2, 1, m, m * k) : new GemmOperand(2, k, 1, m * k);
        var gb = transB ? new GemmOperand(5, 1, k, k * n) : new GemmOperand(5, n, 1, k * n);
        int ldc = n + cPad;
        var gc = new GemmOperand(1, ldc, 1, m * ldc);
        var a = GemmTests.Random(2 + batch * m * k, seed);
        var b = GemmTests.Random(5 + batch * k * n, seed + 1);
        int cLen = 1 + batch * m * ldc;

        var cd = new double[cLen];
        Array.Fill(cd, double.NaN);
        Gemm.Run(a, ga, b, gb, cd, gc, batch, m, k, n);
        Check(cd, gc, a, ga, b, gb, batch, m, k, n, Math.Pow(2, -53));
        AssertPaddingUntouched(cd, gc, batch, m, n);

        var af = Array.ConvertAll(a, v => (float)v);
        var bf = Array.ConvertAll(b, v => (float)v);
        var cf = new float[cLen];
        Array.Fill(cf, float.NaN);
        Gemm.Run(af, ga, bf, gb, cf, gc, batch, m, k, n);
        Check(cf, gc, Array.ConvertAll(af, v => (double)v), ga, Array.ConvertAll(bf, v => (double)v), gb, batch, m, k, n, Math.Pow(2, -24));
        AssertPaddingUntouched(cf, gc, batch, m, n);
    }

    static void AssertPaddingUntouched<T>(T[] c, GemmOperand gc, int batch, int m, int n) where T : System.Numerics.INumber<T>
    {
        var written = new bool[c.Length];
        for (int bi = 0; bi < batch; bi++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) written[gc.Offset + bi * gc.BatchStride + i * gc.RowStride + j] = true;
        for (int e = 0; e < c.Length; e++)
            if (!written[e]) Assert.True(T.IsNaN(c[e]), $"C[{e}] outside the output was overwritten");
    }

    [Theory]
    [InlineData(32, 50176, 9, false, true)]    // conv1 weight gradient: gy · colsᵀ, computed transposed
    [InlineData(64, 12544, 72, false, true)]   // conv2-like, 12 chunks
    [InlineData(13, 4099, 3, false, false)]    // odd sizes, ragged last chunk
    [InlineData(10, 4500, 8, false, true)]     // dot-product tiles cut by both edges, k tails shorter than a vector
    [InlineData(7, 3000, 5, true, true)]       // both operands transposed views
    [InlineData(3, 2048, 40, true, false)]     // exactly two chunks
    [InlineData(70, 20000, 1, true, false)]    // n = 1 with strided A rows (not the dot-product path)
    [InlineData(1, 9000, 6, false, true)]      // m = 1 with B read down its columns
    [InlineData(37, 9000, 37, false, false)]   // neither orientation fills the tile
    [InlineData(80, 6000, 70, false, true)]    // weight-gradient layout with both sides over MaxDotSide: packed chunks
    public void MatchesDoubleReference(int m, int k, int n, bool transA, bool transB)
    {
        RunCase(1, m, k, n, transA, transB, 0, m + k + n);
        CpuState.WithThreads(2, () => { RunCase(1, m, k, n, transA, transB, 0, m * n); return 0; });
    }

    [Fact]
    public void SpacedOutputRowsAndBatches()
    {
        RunCase(1, 9, 5000, 30, false, true, 3, 1);    // C rows spaced, computed transposed
        RunCase(1, 30, 5000, 9, false, false, 5, 2);   // C rows spaced, computed as is
        RunCase(3, 11, 2500, 7, true, true, 2, 3);     // a batch of split products
        CpuState.WithThreads(2, () => { RunCase(3, 11, 2500, 7, false, true, 0, 4); return 0; });
    }

    [Theory]
    [InlineData(256)]
    [InlineData(128)]
    public void NarrowerVectorKernels(int bits)
    {
        Gemm.ForceVectorBits = bits;
        try
        {
            RunCase(1, 32, 6000, 9, false, true, 0, bits);
            RunCase(1, 9, 6000, 32, true, false, 1, bits + 1);
        }
        finally
        {
            Gemm.ForceVectorBits = 0;
        }
    }

    [Theory]
    [InlineData(1, 32, 50176, 9, false)]
    [InlineData(1, 64, 12544, 288, false)]
    [InlineData(1, 13, 4099, 3, false)]
    [InlineData(2, 70, 20000, 2, true)]
    [InlineData(4, 11, 2500, 7, true)]   // batches: split on the worker team, or chunks of each on it
    public void ThreadCountDoesNotChangeBits(int batch, int m, int k, int n, bool float64)
    {
        Assert.NotEqual(0, GemmSplitKRule.ChunkLength(m, k, n));
        var ga = new GemmOperand(0, k, 1, m * k);
        var gb = new GemmOperand(0, 1, k, k * n);                  // Bᵀ read in place, as the conv does
        var gc = GemmOperand.RowMajor(0, m, n);
        var a = GemmTests.Random(batch * m * k, 1);
        var b = GemmTests.Random(batch * k * n, 2);
        if (float64)
        {
            double[] Product(int threads) => CpuState.WithThreads(threads, () =>
            {
                var c = new double[batch * m * n];
                Gemm.Run(a, ga, b, gb, c, gc, batch, m, k, n);
                return c;
            });
            var one = Product(1);
            Assert.Equal(one, Product(2));
            Assert.Equal(one, Product(3));
            Assert.Equal(one, Product(8));
        }
        else
        {
            var af = Array.ConvertAll(a, v => (float)v);
            var bf = Array.ConvertAll(b, v => (float)v);
            float[] Product(int threads) => CpuState.WithThreads(threads, () =>
            {
                var c = new float[batch * m * n];
                Gemm.Run(af, ga, bf, gb, c, gc, batch, m, k, n);
                return c;
            });
            var one = Product(1);
            Assert.Equal(one, Product(2));
            Assert.Equal(one, Product(3));
            Assert.Equal(one, Product(8));
        }
    }

    [Fact]
    public void ConvWeightGradientThroughMatMulIsThreadIndependent()
    {
        // gW = gy · colsᵀ through the public API, with the transposed view the convolution's backward uses.
        var gy = Tensor.FromArray(Array.ConvertAll(GemmTests.Random(16 * 6000, 5), v => (float)v), [16, 6000]);
        var cols = Tensor.FromArray(Array.ConvertAll(GemmTests.Random(9 * 6000, 6), v => (float)v), [9, 6000]);
        float[] Grad(int threads) => CpuState.WithThreads(threads, () => gy.MatMul(cols.T).ToArray<float>());
        var one = Grad(1);
        Assert.Equal(16 * 9, one.Length);
        Assert.Equal(one, Grad(2));
        double s = 0;
        var g = gy.ToArray<float>();
        var x = cols.ToArray<float>();
        for (int p = 0; p < 6000; p++) s += (double)g[3 * 6000 + p] * x[7 * 6000 + p];
        Assert.Equal(s, one[3 * 9 + 7], 1e-3);
    }
}
