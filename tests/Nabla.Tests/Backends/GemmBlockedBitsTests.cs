using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>
/// The blocked GEMM's promise, element by element: k is cut into equal blocks of at most KC (from k alone),
/// each block's sum is one fused multiply-add chain in increasing k started from zero, and C is the first
/// block's sum plus each later block's sum in order. A scalar emulation of exactly that must match the
/// product bit for bit on 1 and 2 threads, whatever rows each thread takes (the row units are cut by thread
/// count) and however A and B are laid out; and the float32 product stays within the forward-error bound of
/// a float64 reference (see <see cref="GemmTests"/>).
/// </summary>
[Collection(CpuStateCollection.Name)]
public class GemmBlockedBitsTests
{
    // MultiplyAddEstimate is one fused instruction where the hardware has FMA, else a multiply then an add.
    static readonly bool Fused = Fma.IsSupported || AdvSimd.IsSupported;

    static int KC<T>() where T : unmanaged => Vector512.IsHardwareAccelerated
        ? GemmBlocked<T, Vector512<T>, GemmVec512<T>>.KC
        : GemmBlocked<T, Vector256<T>, GemmVec256<T>>.KC;

    static double At(double[] x, GemmOperand g, int i, int j) => x[g.Offset + i * g.RowStride + j * g.ColStride];

    /// <summary>The blocked kernel's arithmetic in scalar form, in float32 (<paramref name="single"/>) or float64, for row i.</summary>
    static double[] EmulateRow(double[] a, GemmOperand ga, double[] b, GemmOperand gb, int i, int k, int n, bool single)
    {
        int kc = single ? KC<float>() : KC<double>();
        int blocks = (k + kc - 1) / kc, depth = blocks == 0 ? 0 : (k + blocks - 1) / blocks;
        var row = new double[n];
        for (int j = 0; j < n; j++)
        {
            float cf = 0;
            double cd = 0;
            for (int p0 = 0; p0 < k; p0 += depth)
            {
                float sf = 0;
                double sd = 0;
                for (int p = p0; p < Math.Min(k, p0 + depth); p++)
                {
                    double x = At(a, ga, i, p), y = At(b, gb, p, j);
                    if (single) sf = Fused ? MathF.FusedMultiplyAdd((float)x, (float)y, sf) : (float)x * (float)y + sf;
                    else sd = Fused ? Math.FusedMultiplyAdd(x, y, sd) : x * y + sd;
                }
                if (p0 == 0) { cf = sf; cd = sd; }
                else { cf += sf; cd += sd; }
            }
            row[j] = single ? cf : cd;
        }
        return row;
    }

    static double[] Values(int length, int seed, bool single)
    {
        var v = GemmTests.Random(length, seed);
        if (single) for (int i = 0; i < v.Length; i++) v[i] = (float)v[i];
        return v;
    }

    /// <summary>
    /// A [m, k] and B [k, n] with the given layouts (transposed: the other dim has unit stride; rows padded by
    /// 3 elements and an offset, so strides are not the shape's), the product on 1 and 2 threads: the two bit
    /// for bit equal, and equal to the emulated arithmetic (on every row of small products, on every fifth row
    /// and the last seven of large ones), float32 within the bound of the float64 sum.
    /// </summary>
    static void Check(int m, int k, int n, bool transA, bool transB, int seed)
    {
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 3;
        var ga = transA ? new GemmOperand(5, 1, lda, 0) : new GemmOperand(5, lda, 1, 0);
        var gb = transB ? new GemmOperand(2, 1, ldb, 0) : new GemmOperand(2, ldb, 1, 0);
        int aLen = 5 + lda * (transA ? k : m), bLen = 2 + ldb * (transB ? n : k);
        bool all = (long)m * k * n < 2_000_000;
        foreach (bool single in new[] { true, false })
        {
            var a = Values(aLen, seed, single);
            var b = Values(bLen, seed + 1, single);
            double[] Run(int threads) => CpuState.WithThreads(threads, () =>
                single ? Product<float>(a, ga, b, gb, m, k, n) : Product<double>(a, ga, b, gb, m, k, n));
            var one = Run(1);
            var two = Run(2);
            string what = $"{(single ? "float32" : "float64")} [{m}x{k}x{n}] transA={transA} transB={transB}";
            for (int e = 0; e < one.Length; e++)
                if (BitConverter.DoubleToInt64Bits(one[e]) != BitConverter.DoubleToInt64Bits(two[e]))
                    Assert.Fail($"{what}: C[{e / n},{e % n}] = {one[e]:R} on 1 thread, {two[e]:R} on 2");
            for (int i = 0; i < m; i++)
            {
                if (!all && i % 5 != 0 && i < m - 7) continue;
                var expected = EmulateRow(a, ga, b, gb, i, k, n, single);
                for (int j = 0; j < n; j++)
                    if (BitConverter.DoubleToInt64Bits(one[i * n + j]) != BitConverter.DoubleToInt64Bits(expected[j]))
                        Assert.Fail($"{what}: C[{i},{j}] = {one[i * n + j]:R}, the blocked arithmetic gives {expected[j]:R}");
                if (single) WithinBound(one, a, ga, b, gb, i, k, n);
            }
        }
    }

    // The blocked kernel at the widest accelerated width, split over CpuParallel.Threads threads whatever the
    // size (Gemm.Run keeps products under ParallelThreshold on one thread).
    static double[] Product<T>(double[] a, GemmOperand ga, double[] b, GemmOperand gb, int m, int k, int n)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        var c = new T[m * n];
        Array.Fill(c, T.CreateTruncating(double.NaN));
        T[] at = Array.ConvertAll(a, T.CreateTruncating), bt = Array.ConvertAll(b, T.CreateTruncating);
        bool parallel = CpuParallel.Threads > 1;
        if (Vector512.IsHardwareAccelerated)
            GemmBlocked<T, Vector512<T>, GemmVec512<T>>.Run(at, ga.Offset, ga.RowStride, ga.ColStride, bt, gb.Offset, gb.RowStride, gb.ColStride, c, 0, n, m, k, n, parallel);
        else
            GemmBlocked<T, Vector256<T>, GemmVec256<T>>.Run(at, ga.Offset, ga.RowStride, ga.ColStride, bt, gb.Offset, gb.RowStride, gb.ColStride, c, 0, n, m, k, n, parallel);
        return Array.ConvertAll(c, double.CreateTruncating);
    }

    // |C - A·B| <= 2(k + 2)·u·Σ|a||b| with u = 2^-24, against the float64 sum, on row i.
    static void WithinBound(double[] got, double[] a, GemmOperand ga, double[] b, GemmOperand gb, int i, int k, int n)
    {
        for (int j = 0; j < n; j++)
        {
            double s = 0, mag = 0;
            for (int p = 0; p < k; p++)
            {
                double t = At(a, ga, i, p) * At(b, gb, p, j);
                s += t;
                mag += Math.Abs(t);
            }
            double tol = 2 * (k + 2) * Math.Pow(2, -24) * mag;
            if (Math.Abs(got[i * n + j] - s) > tol) Assert.Fail($"[{k}x{n}] C[{i},{j}] = {got[i * n + j]}, float64 gives {s} (tol {tol})");
        }
    }

    public static IEnumerable<object[]> OddRows()
    {
        for (int m = 1; m <= 129; m += 2) yield return [m];
    }

    [Theory]
    [MemberData(nameof(OddRows))]
    public void OddRowCounts(int m) => Check(m, 29 + m % 40, 47 + m % 33, m % 3 == 1, m % 5 == 2, m);

    [Theory]
    [InlineData(255, 255, 257)]
    [InlineData(256, 400, 256)]      // two k blocks (float32), two for float64 too
    [InlineData(257, 769, 255)]      // three k blocks for float32, four for float64
    [InlineData(511, 512, 513)]
    [InlineData(512, 511, 512)]
    [InlineData(513, 513, 511)]
    public void SizesAroundPowersOfTwo(int m, int k, int n)
    {
        Check(m, k, n, false, false, m + k + n);
        if (m < 300) Check(m, k, n, true, true, m + k + n + 1);
    }

    [Theory]
    [InlineData(300, 65, 2100)]      // two column groups of B (NC = 2048 float32 columns)
    [InlineData(130, 900, 40)]       // m several MC units, k several KC blocks
    [InlineData(6, 200, 700)]        // one register row: column parts share the tile row between threads
    [InlineData(1, 300, 130)]        // one row, one column
    [InlineData(130, 300, 1)]
    public void ColumnGroupsAndParts(int m, int k, int n) => Check(m, k, n, false, m % 2 == 0, m * k);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 2)]
    [InlineData(16, 2)]
    [InlineData(86, 2)]
    [InlineData(171, 2)]
    [InlineData(342, 2)]
    [InlineData(1000, 4)]
    [InlineData(43, 1)]
    public void RowUnitsCoverEveryTileOnce(int tiles, int parties)
    {
        var start = new int[tiles + 1];
        int units = GemmJob<float, Vector256<float>, GemmVec256<float>>.SplitRows(tiles, parties, start);
        int most = GemmBlocked<float, Vector256<float>, GemmVec256<float>>.MCTiles;
        Assert.Equal(0, start[0]);
        Assert.Equal(tiles, start[units]);
        for (int r = 0; r < units; r++)
        {
            int size = start[r + 1] - start[r];
            Assert.InRange(size, 1, most);
            // Several threads: units never grow, so the last ones handed out are the smallest.
            if (parties > 1 && r > 0) Assert.True(size <= start[r] - start[r - 1], $"unit {r} ({size} tiles) is larger than unit {r - 1}");
        }
        if (parties > 1 && tiles >= 8 * parties)
            Assert.True(start[units] - start[units - 1] <= 2, "the last unit should be at most two tiles");
    }
}
