using System.Numerics;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>
/// MaxPool2d's vector kernel for 2×2 windows with stride 2 (the default) against a plain loop written
/// here: values bitwise and the gradient's destination (the recorded argmax) exactly, for float32 and
/// float64, row widths that use full chunks, overlapping last chunks, narrow chunks and no chunk at all,
/// odd sizes (last row/column dropped), many ties (the first maximum in row-major window order wins),
/// NaN (always takes over, so the last NaN wins), ±Inf and ±0 (which tie), and a tensor large enough to
/// be split across threads mid-row.
/// </summary>
public class MaxPoolStride2Tests
{
    public static TheoryData<int, int, int, int> Shapes => new()
    {
        { 2, 3, 28, 28 },   // the CNN's first pool: 14 outputs per row (chunk 8 + an overlapping chunk)
        { 3, 2, 14, 14 },   // the second: 7 per row (narrow float chunks)
        { 1, 2, 9, 33 },    // odd sizes: 16 per row, last column and row dropped
        { 2, 1, 5, 7 },     // 3 per row: float scalar, double narrow
        { 1, 1, 2, 2 },     // one window
        { 1, 1, 4, 3 },     // 1 per row: scalar for both
        { 1, 2, 6, 40 },    // 20 per row
        { 4, 4, 100, 101 }, // 40000 outputs: split across threads, chunks may start mid-row
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesThePlainLoopWithTiesAndNaN(int n, int c, int h, int w)
    {
        Check<float>(n, c, h, w, ties: true);
        Check<float>(n, c, h, w, ties: false);
        Check<double>(n, c, h, w, ties: true);
        Check<double>(n, c, h, w, ties: false);
    }

    static void Check<T>(int n, int c, int h, int w, bool ties) where T : unmanaged, INumber<T>
    {
        var rng = new Random(((n * 7 + c) * 131 + h) * 131 + w + (ties ? 1 : 0));
        var v = new T[n * c * h * w];
        for (int k = 0; k < v.Length; k++)
            v[k] = rng.Next(ties ? 16 : 40) switch
            {
                0 => T.CreateChecked(double.NaN),
                1 => T.CreateChecked(double.PositiveInfinity),
                2 => T.CreateChecked(double.NegativeInfinity),
                3 => T.CreateChecked(-0.0),
                4 => T.Zero,
                _ => ties ? T.CreateChecked(rng.Next(3) - 1) : T.CreateChecked(rng.NextDouble() * 2 - 1),
            };
        var x = v switch
        {
            float[] f => Tensor.FromArray(f, [n, c, h, w], requiresGrad: true),
            double[] d => Tensor.FromArray(d, [n, c, h, w], requiresGrad: true),
            _ => throw new NotSupportedException(),
        };
        var (expected, argmax) = Plain(v, n * c, h, w);
        var y = F.MaxPool2d(x, 2);
        Assert.Equal([n, c, h / 2, w / 2], y.Shape.ToArray());
        var got = y.ToArray<T>();
        for (int k = 0; k < expected.Length; k++)
            Assert.True(expected[k].Equals(got[k]) && T.IsNegative(expected[k]) == T.IsNegative(got[k]),
                $"{typeof(T).Name} output {k}: expected {expected[k]}, got {got[k]}");

        // The gradient of Σ y·r lands at each window's argmax: r at that position, zero elsewhere.
        var r = new T[expected.Length];
        for (int k = 0; k < r.Length; k++) r[k] = T.CreateChecked(k % 97 + 1);
        y.Backward(r switch { float[] f => Tensor.FromArray(f, y.Shape.ToArray()), double[] d => Tensor.FromArray(d, y.Shape.ToArray()), _ => null });
        var grad = x.Grad!.ToArray<T>();
        var want = new T[v.Length];
        for (int k = 0; k < argmax.Length; k++) want[argmax[k]] = r[k];
        Assert.Equal(want, grad);
    }

    /// <summary>The 2×2 stride-2 maximum in row-major window order: later elements win when larger or NaN.</summary>
    static (T[] Y, int[] Argmax) Plain<T>(T[] x, int planes, int h, int w) where T : unmanaged, INumber<T>
    {
        int oh = h / 2, ow = w / 2;
        var y = new T[planes * oh * ow];
        var at = new int[y.Length];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int best = (p * h + 2 * i) * w + 2 * j;
                    foreach (int k in new[] { best + 1, best + w, best + w + 1 })
                        if (x[k] > x[best] || T.IsNaN(x[k])) best = k;
                    int o = (p * oh + i) * ow + j;
                    y[o] = x[best];
                    at[o] = best;
                }
        return (y, at);
    }
}
