using System.Numerics;
using Nabla.Engine;
using Nabla.Primitives.Movement;

namespace Nabla.Tests.Ops;

/// <summary>
/// The "same" convolution fast path of im2col/col2im (stride 1, output width = input width: flat shifted
/// runs with column masks) against plain loops written here in the kernel's element type, with the same
/// per-pixel (i, j) order of adds: the results must be bitwise equal, for float32 and float64, in both
/// column layouts, with NaN and ±Inf placed where the masks must drop them (wrapped edge columns,
/// padding rows), and for widths down to 1 where every shifted column falls off the image.
/// </summary>
public class Im2ColFlatTests
{
    // (C, H, W, Kh, Kw, Ph, Pw, Dh, Dw): all with stride 1 and OW = W.
    public static TheoryData<int, int, int, int, int, int, int, int, int> Geometries => new()
    {
        { 3, 5, 7, 3, 3, 1, 1, 1, 1 },     // 3x3 padding 1 (the CNN's layers), odd sizes
        { 2, 28, 28, 3, 3, 1, 1, 1, 1 },   // the CNN's first layer size
        { 1, 1, 1, 3, 3, 1, 1, 1, 1 },     // 1x1 image: only the centre tap reads it
        { 2, 4, 2, 3, 3, 1, 1, 1, 1 },     // width 2
        { 2, 6, 9, 5, 5, 2, 2, 1, 1 },     // 5x5 padding 2
        { 1, 7, 8, 3, 3, 2, 2, 2, 2 },     // dilated same kernel
        { 2, 5, 6, 2, 3, 0, 1, 1, 1 },     // OH < H (no row padding), OW = W
        { 1, 3, 4, 5, 3, 2, 1, 1, 1 },     // kernel taller than the image
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void UnfoldAndFoldMatchPlainLoopsBitwise(int c, int h, int w, int kh, int kw, int ph, int pw, int dh, int dw)
    {
        foreach (bool rowsOuter in new[] { false, true })
        {
            var g = new Im2Col(c, h, w, kh, kw, 1, 1, ph, pw, dh, dw, rowsOuter);
            Assert.Equal(w, g.OW);
            Check<float>(g, 3);
            Check<double>(g, 2);
        }
    }

    static void Check<T>(Im2Col g, int batch) where T : unmanaged, INumber<T>
    {
        var rng = new Random(((g.C * 31 + g.H) * 31 + g.W) * 31 + g.Kh * 7 + g.Dh);
        var img = Values<T>(rng, batch * g.C * g.H * g.W);
        var cols = Values<T>(rng, batch * g.Rows * g.L);
        // A view with an offset: the kernels must honour it.
        var imgT = Make(Concat(Values<T>(rng, 5), img))[5..].Reshape(g.ImageShape(batch));
        var colsT = Make(Concat(Values<T>(rng, 3), cols))[3..].Reshape(g.ColumnShape(batch));

        Same("unfold", PlainUnfold(g, img, batch), Dispatch.Call(new Unfold(g), imgT).ToArray<T>());
        Same("fold", PlainFold(g, cols, batch), Dispatch.Call(new Fold(g), colsT).ToArray<T>());
    }

    /// <summary>Bitwise equal: NaN matches NaN, and the sign of zero counts.</summary>
    static void Same<T>(string what, T[] expected, T[] actual) where T : unmanaged, INumber<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(expected[k].Equals(actual[k]) && T.IsNegative(expected[k]) == T.IsNegative(actual[k]),
                $"{what} {typeof(T).Name} at {k}: expected {expected[k]}, got {actual[k]}");
    }

    /// <summary>Random values with a sprinkling of NaN, +Inf, -Inf and -0 (so dropped edges would show).</summary>
    static T[] Values<T>(Random rng, int n) where T : unmanaged, INumber<T>
    {
        var v = new T[n];
        for (int k = 0; k < n; k++)
            v[k] = (rng.Next(12)) switch
            {
                0 => T.CreateChecked(double.NaN),
                1 => T.CreateChecked(double.PositiveInfinity),
                2 => T.CreateChecked(double.NegativeInfinity),
                3 => T.CreateChecked(-0.0),
                _ => T.CreateChecked(rng.NextDouble() * 2 - 1),
            };
        return v;
    }

    static Tensor Make<T>(T[] v) => v switch
    {
        float[] f => Tensor.FromArray(f, [f.Length]),
        double[] d => Tensor.FromArray(d, [d.Length]),
        _ => throw new NotSupportedException(typeof(T).Name),
    };

    static T[] Concat<T>(T[] a, T[] b) => [.. a, .. b];

    static int ColIndex(Im2Col g, int batch, int b, int row, int pos) =>
        (g.RowsOuter ? row * batch + b : b * g.Rows + row) * g.L + pos;

    static T[] PlainUnfold<T>(Im2Col g, T[] img, int batch) where T : unmanaged, INumber<T>
    {
        var cols = new T[batch * g.Rows * g.L];
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < g.C; c++)
                for (int i = 0; i < g.Kh; i++)
                    for (int j = 0; j < g.Kw; j++)
                        for (int oh = 0; oh < g.OH; oh++)
                            for (int ow = 0; ow < g.OW; ow++)
                            {
                                int ih = oh - g.Ph + i * g.Dh, iw = ow - g.Pw + j * g.Dw;
                                bool inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
                                cols[ColIndex(g, batch, b, (c * g.Kh + i) * g.Kw + j, oh * g.OW + ow)] =
                                    inside ? img[((b * g.C + c) * g.H + ih) * g.W + iw] : T.Zero;
                            }
        return cols;
    }

    static T[] PlainFold<T>(Im2Col g, T[] cols, int batch) where T : unmanaged, INumber<T>
    {
        var img = new T[batch * g.C * g.H * g.W];
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < g.C; c++)
                for (int i = 0; i < g.Kh; i++)
                    for (int j = 0; j < g.Kw; j++)
                        for (int oh = 0; oh < g.OH; oh++)
                            for (int ow = 0; ow < g.OW; ow++)
                            {
                                int ih = oh - g.Ph + i * g.Dh, iw = ow - g.Pw + j * g.Dw;
                                if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                img[((b * g.C + c) * g.H + ih) * g.W + iw] += cols[ColIndex(g, batch, b, (c * g.Kh + i) * g.Kw + j, oh * g.OW + ow)];
                            }
        return img;
    }
}
