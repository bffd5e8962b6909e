using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>The SIMD reduce driver against scalar loops: every row length, inner-axis and strided layouts, NaN, threads.</summary>
[Collection(CpuStateCollection.Name)]
public class ReduceDriverTests
{
    static float[] Values(int n, int seed) => ElementwiseDriverTests.Values(n, seed);

    // Reference over [outer, r, inner] in double (sum) or exactly (max/min).
    static double[] Naive(float[] x, int outer, int r, int inner, Func<double, double, double> op, double init)
    {
        var y = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                double acc = init;
                for (int i = 0; i < r; i++) acc = op(acc, x[(o * r + i) * inner + j]);
                y[o * inner + j] = acc;
            }
        return y;
    }

    static void AssertSum(double[] expected, float[] got, int r, float[] x)
    {
        double mag = 0;
        foreach (var v in x) mag = Math.Max(mag, Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - got[i]) <= 2 * (r + 1) * Math.Pow(2, -24) * r * mag + 1e-30,
                $"sum[{i}] = {got[i]}, expected {expected[i]} (r = {r})");
    }

    [Fact]
    public void RowsOfEveryLength()
    {
        for (int n = 0; n <= 257; n++)
        {
            var x = Values(2 * n, n);
            var t = Tensor.FromArray(x, [2, n]);
            AssertSum(Naive(x, 2, n, 1, (a, b) => a + b, 0), ReduceDriver.Run<float, ReduceOps.Sum<float>>(t, [1]).ToArray<float>(), n, x);
            var max = ReduceDriver.Run<float, ReduceOps.Max<float>>(t, [1]).ToArray<float>();
            var min = ReduceDriver.Run<float, ReduceOps.Min<float>>(t, [1]).ToArray<float>();
            Assert.Equal(Naive(x, 2, n, 1, Math.Max, double.NegativeInfinity).Select(v => (float)v), max);
            Assert.Equal(Naive(x, 2, n, 1, Math.Min, double.PositiveInfinity).Select(v => (float)v), min);
            var xi = Array.ConvertAll(x, v => (long)(v * 100));
            long expected = 0;
            for (int i = 0; i < n; i++) expected += xi[i];
            Assert.Equal(expected, ReduceDriver.Run<long, ReduceOps.Sum<long>>(Tensor.FromArray(xi, [2, n]), [1]).ToArray<long>()[0]);
        }
    }

    [Fact]
    public void MaxAndMinPropagateNaNAnywhere()
    {
        foreach (var n in new[] { 1, 7, 64, 65, 257, 40_000 })
            foreach (var pos in new[] { 0, n / 2, n - 1 })
            {
                var x = Values(n, n + pos);
                x[pos] = float.NaN;
                var t = Tensor.FromArray(x, [n]);
                Assert.True(float.IsNaN(ReduceDriver.Run<float, ReduceOps.Max<float>>(t, [0]).ToArray<float>()[0]));
                Assert.True(float.IsNaN(ReduceDriver.Run<float, ReduceOps.Min<float>>(t, [0]).ToArray<float>()[0]));
            }
        var empty = ReduceDriver.Run<float, ReduceOps.Max<float>>(Tensor.Zeros([3, 0]), [1]).ToArray<float>();
        Assert.Equal(new[] { float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity }, empty);
    }

    [Theory]
    [InlineData(3, 5, 7)]
    [InlineData(1, 257, 33)]
    [InlineData(4, 1, 9)]
    [InlineData(2, 70, 2049)]   // inner spans more than one accumulator piece
    public void NonLastAxisInPlace(int outer, int r, int inner)
    {
        var x = Values(outer * r * inner, r);
        var t = Tensor.FromArray(x, [outer, r, inner]);
        AssertSum(Naive(x, outer, r, inner, (a, b) => a + b, 0), ReduceDriver.Run<float, ReduceOps.Sum<float>>(t, [1]).ToArray<float>(), r, x);
        Assert.Equal(Naive(x, outer, r, inner, Math.Max, double.NegativeInfinity).Select(v => (float)v),
            ReduceDriver.Run<float, ReduceOps.Max<float>>(t, [1]).ToArray<float>());
        // Reducing the first two axes of [outer, r, inner] is the block [outer*r] with inner columns.
        Assert.Equal(Naive(x, 1, outer * r, inner, Math.Min, double.PositiveInfinity).Select(v => (float)v),
            ReduceDriver.Run<float, ReduceOps.Min<float>>(t, [0, 1]).ToArray<float>());
    }

    [Fact]
    public void StridedAndNonBlockAxes()
    {
        var x = Values(4 * 5 * 6, 3);
        var t = Tensor.FromArray(x, [4, 5, 6]);
        // Axes 0 and 2 (not one block): y[j] = max over i, k of x[i, j, k].
        var got = ReduceDriver.Run<float, ReduceOps.Max<float>>(t, [0, 2]);
        Assert.Equal([1, 5, 1], got.Shape.ToArray());
        for (int j = 0; j < 5; j++)
        {
            float m = float.NegativeInfinity;
            for (int i = 0; i < 4; i++) for (int k = 0; k < 6; k++) m = Math.Max(m, x[(i * 5 + j) * 6 + k]);
            Assert.Equal(m, got.ToArray<float>()[j]);
        }
        // Transposed input: sum over the last axis of xᵀ is the column sum of x.
        var m2 = Tensor.FromArray(x[..30], [5, 6]);
        var colSums = ReduceDriver.Run<float, ReduceOps.Sum<float>>(m2.T, [1]).ToArray<float>();
        for (int k = 0; k < 6; k++)
        {
            double s = 0;
            for (int i = 0; i < 5; i++) s += x[i * 6 + k];
            Assert.Equal(s, colSums[k], 1e-4);
        }
        // Size-1 axes only: values unchanged.
        Assert.Equal(x[..30], ReduceDriver.Run<float, ReduceOps.Sum<float>>(Tensor.FromArray(x[..30], [5, 1, 6]), [1]).ToArray<float>());
    }

    [Theory]
    [InlineData(1, 1_000_003, 1, new[] { 1 })]   // one long row: fixed chunks, partials combined in order
    [InlineData(64, 1000, 33, new[] { 1 })]
    [InlineData(64, 1000, 33, new[] { 0, 2 })]
    [InlineData(3, 70_000, 1, new[] { 1 })]
    public void ThreadCountDoesNotChangeBits(int a, int b, int c, int[] axes)
    {
        var t = Tensor.FromArray(Values(a * b * c, 11), [a, b, c]);
        float[] Run(int threads) => CpuState.WithThreads(threads, () => ReduceDriver.Run<float, ReduceOps.Sum<float>>(t, axes).ToArray<float>());
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }
}
