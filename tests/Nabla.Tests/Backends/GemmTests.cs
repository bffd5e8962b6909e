using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>
/// The blocked GEMM against a double-precision naive product. The float32 tolerance is the
/// standard forward-error bound for a k-term dot product: |err| &lt;= k·u·Σ|a||b| (u = 2^-24),
/// with a factor 2 of headroom; float64 uses the same bound with u = 2^-53.
/// </summary>
[Collection(CpuStateCollection.Name)]
public class GemmTests
{
    static readonly int[] Sizes = [0, 1, 2, 3, 5, 6, 7, 13, 16, 17, 31, 32, 33, 64, 70];

    internal static double[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        var r = new double[n];
        for (int i = 0; i < n; i++) r[i] = rng.NextDouble() * 2 - 1;
        return r;
    }

    // Element (b, i, j) of an operand at Offset + b*BatchStride + i*RowStride + j*ColStride.
    static double At(double[] x, GemmOperand g, int bi, int i, int j) => x[g.Offset + bi * g.BatchStride + i * g.RowStride + j * g.ColStride];

    static void Check<T>(T[] c, double[] a, GemmOperand ga, double[] b, GemmOperand gb, int batch, int m, int k, int n, double u)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        for (int bi = 0; bi < batch; bi++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0, mag = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double t = At(a, ga, bi, i, p) * At(b, gb, bi, p, j);
                        s += t;
                        mag += Math.Abs(t);
                    }
                    double got = double.CreateTruncating(c[bi * m * n + i * n + j]);
                    double tol = 2 * (k + 2) * u * mag;
                    if (Math.Abs(got - s) > tol)
                        Assert.Fail($"[{batch}x{m}x{k}x{n}] C[{bi},{i},{j}] = {got}, expected {s} (tol {tol})");
                }
    }

    static void RunCase(int batch, int m, int k, int n, bool transA, bool transB, bool broadcastA, int seed)
    {
        var ga = transA ? new GemmOperand(3, 1, m, broadcastA ? 0 : m * k) : new GemmOperand(3, k, 1, broadcastA ? 0 : m * k);
        var gb = transB ? new GemmOperand(1, 1, k, k * n) : new GemmOperand(1, n, 1, k * n);
        var a = Random(3 + (broadcastA ? 1 : batch) * m * k, seed);
        var b = Random(1 + batch * k * n, seed + 1);
        var cd = new double[batch * m * n];
        Gemm.Run(a, ga, b, gb, cd, GemmOperand.RowMajor(0, m, n), batch, m, k, n);
        Check(cd, a, ga, b, gb, batch, m, k, n, Math.Pow(2, -53));
        var af = Array.ConvertAll(a, v => (float)v);
        var bf = Array.ConvertAll(b, v => (float)v);
        var cf = new float[batch * m * n];
        Array.Fill(cf, float.NaN); // every element must be written, including k = 0
        Gemm.Run(af, ga, bf, gb, cf, GemmOperand.RowMajor(0, m, n), batch, m, k, n);
        Check(cf, Array.ConvertAll(af, v => (double)v), ga, Array.ConvertAll(bf, v => (double)v), gb, batch, m, k, n, Math.Pow(2, -24));
    }

    [Fact]
    public void AllSmallShapes()
    {
        int seed = 0;
        foreach (var m in Sizes)
            foreach (var k in Sizes)
                foreach (var n in Sizes)
                    RunCase(1, m, k, n, false, false, false, seed++);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void TransposedOperandsReadInPlace(bool transA, bool transB)
    {
        int seed = 100;
        foreach (var (m, k, n) in new[] { (1, 1, 1), (7, 5, 33), (13, 70, 17), (64, 3, 1), (1, 65, 64), (70, 70, 70) })
            RunCase(1, m, k, n, transA, transB, false, seed++);
    }

    [Theory]
    [InlineData(1, 300, 1)]     // 1xk · kx1
    [InlineData(1, 40, 257)]    // one row
    [InlineData(257, 40, 1)]    // one column
    [InlineData(257, 129, 65)]
    [InlineData(130, 900, 40)]  // k spans several KC blocks, m several MC blocks
    [InlineData(5, 9, 2100)]    // n spans more than one NC block
    [InlineData(1, 70, 9000)]   // m = 1 over several output pieces
    [InlineData(9000, 70, 1)]   // n = 1 over several output pieces
    public void LargeAndThinShapes(int m, int k, int n) => RunCase(1, m, k, n, false, false, false, m + k + n);

    [Fact]
    public void BatchedAndBroadcastBatch()
    {
        RunCase(4, 13, 17, 35, false, false, false, 7);
        RunCase(3, 9, 70, 6, true, true, false, 8);
        RunCase(5, 12, 20, 40, false, false, true, 9);   // A shared by every batch (batch stride 0)
        RunCase(0, 4, 4, 4, false, false, false, 10);
    }

    [Theory]
    [InlineData(256)]
    [InlineData(128)]
    public void NarrowerVectorKernels(int bits)
    {
        Gemm.ForceVectorBits = bits;
        try
        {
            foreach (var (m, k, n) in new[] { (1, 1, 1), (7, 5, 33), (13, 70, 17), (65, 400, 47) })
            {
                RunCase(1, m, k, n, false, false, false, m * n);
                RunCase(2, m, k, n, true, true, false, m * n + 1);
            }
        }
        finally
        {
            Gemm.ForceVectorBits = 0;
        }
    }

    [Fact]
    public void IntegersExact()
    {
        var a = new long[] { 1, 2, 3, 4, 5, 6 };              // [2, 3]
        var b = new long[] { 7, 8, 9, 10, 11, 12 };           // [3, 2]
        var c = new long[4];
        Gemm.Run(a, 0, b, 0, c, 1, 2, 3, 2);
        Assert.Equal(new long[] { 58, 64, 139, 154 }, c);
        var ci = new int[4];
        Gemm.Run(new[] { 1, 2, 3, 4, 5, 6 }, new GemmOperand(0, 1, 2, 0), new[] { 7, 8, 9, 10, 11, 12 },
            new GemmOperand(0, 2, 1, 0), ci, GemmOperand.RowMajor(0, 2, 2), 1, 2, 3, 2); // Aᵀ of a [3,2] array
        Assert.Equal(new[] { 1 * 7 + 3 * 9 + 5 * 11, 1 * 8 + 3 * 10 + 5 * 12, 2 * 7 + 4 * 9 + 6 * 11, 2 * 8 + 4 * 10 + 6 * 12 }, ci);
    }

    [Theory]
    [InlineData(1, 300, 500, 200)]
    [InlineData(1, 3, 700, 3000)]
    [InlineData(6, 40, 50, 60)]
    [InlineData(1, 1, 300, 20000)]   // row vector times matrix
    [InlineData(1, 20000, 300, 1)]   // matrix times column vector
    [InlineData(1, 200, 1000, 2100)] // 3 k blocks x 2 column groups: both B buffers, unit waits
    [InlineData(1, 7, 800, 70)]      // fewer row units than threads: column parts
    [InlineData(12, 30, 40, 50)]     // across batches on the worker team
    public void ThreadCountDoesNotChangeBits(int batch, int m, int k, int n)
    {
        var a = Array.ConvertAll(Random(batch * m * k, 1), v => (float)v);
        var b = Array.ConvertAll(Random(batch * k * n, 2), v => (float)v);
        float[] Product(int threads) => CpuState.WithThreads(threads, () =>
        {
            var c = new float[batch * m * n];
            Gemm.Run(a, 0, b, 0, c, batch, m, k, n);
            return c;
        });
        var one = Product(1);
        Assert.Equal(one, Product(2));
        Assert.Equal(one, Product(3));
        Assert.Equal(one, Product(8));
    }

    [Fact]
    public void ParallelPipelineMatchesReference()
    {
        // Two column groups, three k blocks and an m that is not a multiple of the 6-row tile,
        // on several threads: every element checked against the double-precision product.
        CpuState.WithThreads(3, () =>
        {
            RunCase(1, 133, 900, 2080, false, false, false, 41);
            RunCase(1, 61, 777, 95, true, true, false, 42);
            return 0;
        });
    }

    [Fact]
    public void MatMulPrimitiveReadsViewsInPlace()
    {
        // [2, 1, 5, 4]ᵀ-view · expanded [2, 3, 5, 6] through the public API.
        var ad = Random(2 * 4 * 5, 3);
        var bd = Random(5 * 6, 4);
        var a = Tensor.FromArray(ad, [2, 1, 4, 5]).Transpose(-2, -1).Expand(2, 3, 5, 4);
        var b = Tensor.FromArray(bd, [5, 6]).T;                       // [6, 5]
        var y = a.Transpose(-2, -1).MatMul(b.T.Expand(2, 3, 5, 6)).ToArray<double>();
        Assert.Equal(2 * 3 * 4 * 6, y.Length);
        for (int bi = 0; bi < 2; bi++)
            for (int r = 0; r < 3; r++)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 6; j++)
                    {
                        double s = 0;
                        for (int p = 0; p < 5; p++) s += ad[bi * 20 + i * 5 + p] * bd[p * 6 + j];
                        Assert.Equal(s, y[((bi * 3 + r) * 4 + i) * 6 + j], 1e-12);
                    }
    }
}
