using System.Numerics;
using Nabla.Primitives.Movement;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="Unfold"/> (im2col) and <see cref="Fold"/> (col2im) on the CPU: row loops over the window
/// geometry <see cref="Im2Col"/>, with the flat-shift fast path of <c>Im2ColKernel.Flat.cs</c> for
/// "same" convolutions.
/// </summary>
internal static partial class Im2ColKernel
{
    public static Tensor RunUnfold(Unfold op, Tensor x)
    {
        var input = CopyKernel.AsContiguous(x);
        var y = CpuTensor.Empty(input.DType, new Shape(op.Geometry.ColumnShape(input.Shape[0])));
        Unfold(op.Geometry, input, y);
        return y;
    }

    /// <summary>The same unfold written into <paramref name="y"/> (see <see cref="KernelEntry.Into"/>); false when y does not fit.</summary>
    public static bool RunUnfoldInto(Unfold op, Tensor x, Tensor y)
    {
        var g = op.Geometry;
        int batch = x.Shape[0];
        ReadOnlySpan<int> shape = g.RowsOuter ? [g.Rows, batch, g.L] : [batch, g.Rows, g.L];
        if (!IntoOutput.Fits(y, x.DType, shape, x)) return false;
        Unfold(g, CopyKernel.AsContiguous(x), y);
        return true;
    }

    static void Unfold(Im2Col g, Tensor input, Tensor y)
    {
        int batch = input.Shape[0];
        switch (input.DType)
        {
            case DType.Float32: Unfold(g, input.Data<float>(), input.Offset, y.Data<float>(), batch); break;
            case DType.Float64: Unfold(g, input.Data<double>(), input.Offset, y.Data<double>(), batch); break;
            default: throw new NotSupportedException($"unfold: no kernel for {input.DType.TorchName()}");
        }
    }

    public static Tensor RunFold(Fold op, Tensor x)
    {
        var cols = CopyKernel.AsContiguous(x);
        var y = CpuTensor.Empty(cols.DType, new Shape(op.Geometry.ImageShape(op.Geometry.ColumnBatch(cols.Shape))), zeroed: true);
        Fold(op.Geometry, cols, y);
        return y;
    }

    /// <summary>The same fold written into <paramref name="y"/> (cleared first; see <see cref="KernelEntry.Into"/>); false when y does not fit.</summary>
    public static bool RunFoldInto(Fold op, Tensor x, Tensor y)
    {
        var g = op.Geometry;
        if (!IntoOutput.Fits(y, x.DType, [g.ColumnBatch(x.Shape), g.C, g.H, g.W], x)) return false;
        if (y.DType == DType.Float32) y.ContiguousSpan<float>().Clear();
        else if (y.DType == DType.Float64) y.ContiguousSpan<double>().Clear();
        Fold(g, CopyKernel.AsContiguous(x), y);
        return true;
    }

    static void Fold(Im2Col g, Tensor cols, Tensor y)
    {
        int batch = g.ColumnBatch(cols.Shape);
        switch (cols.DType)
        {
            case DType.Float32: Fold(g, cols.Data<float>(), cols.Offset, y.Data<float>(), batch); break;
            case DType.Float64: Fold(g, cols.Data<double>(), cols.Offset, y.Data<double>(), batch); break;
            default: throw new NotSupportedException($"fold: no kernel for {cols.DType.TorchName()}");
        }
    }

    /// <summary>Output columns ow whose input column ow·Sw - Pw + j·Dw lies inside [0, W): [lo, hi).</summary>
    static (int Lo, int Hi) Valid(Im2Col g, int j)
    {
        int shift = j * g.Dw - g.Pw;                      // iw = ow*Sw + shift
        int lo = shift >= 0 ? 0 : (-shift + g.Sw - 1) / g.Sw;
        int hi = g.W - 1 - shift < 0 ? 0 : (g.W - 1 - shift) / g.Sw + 1;
        return (Math.Min(lo, g.OW), Math.Clamp(hi, Math.Min(lo, g.OW), g.OW));
    }

    /// <summary>
    /// Runs body over (b, c) planes, in parallel when the work is large. Each plane owns a disjoint part
    /// of the output (unfold: its rows; fold: its image), so results do not depend on the thread count.
    /// </summary>
    static void ForPlanes(Im2Col g, int batch, Action<int, int> body)
    {
        int c = g.C, planes = batch * c;
        long work = (long)planes * g.Kh * g.Kw * g.L;
        if (work < CpuParallel.Threshold || CpuParallel.Threads <= 1 || planes < 2)
        {
            for (int p = 0; p < planes; p++) body(p / c, p % c);
            return;
        }
        CpuWorkers.For(planes, CpuParallel.Threads - 1, p => body(p / c, p % c));
    }

    /// <summary>cols[b, (c·kh+i)·kw+j, oh·OW+ow] = x[b, c, oh·Sh-Ph+i·Dh, ow·Sw-Pw+j·Dw] (0 outside). x is contiguous.</summary>
    public static void Unfold<T>(Im2Col g, T[] x, int xOffset, T[] cols, int batch) where T : unmanaged, INumber<T>
    {
        if (Flat(g)) { UnfoldFlat(g, x, xOffset, cols, batch); return; }
        int oh = g.OH, ow = g.OW;
        ForPlanes(g, batch, (b, c) =>
        {
            int src = xOffset + (b * g.C + c) * g.H * g.W;
            for (int i = 0; i < g.Kh; i++)
                for (int j = 0; j < g.Kw; j++)
                {
                    int dst = g.RowStart(b, (c * g.Kh + i) * g.Kw + j, batch);
                    var (lo, hi) = Valid(g, j);
                    int shift = j * g.Dw - g.Pw;
                    for (int r = 0; r < oh; r++, dst += ow)
                    {
                        var row = cols.AsSpan(dst, ow);
                        int ih = r * g.Sh - g.Ph + i * g.Dh;
                        if (ih < 0 || ih >= g.H || lo >= hi) { row.Clear(); continue; }
                        row[..lo].Clear();
                        row[hi..].Clear();
                        int s = src + ih * g.W + lo * g.Sw + shift;
                        if (g.Sw == 1) x.AsSpan(s, hi - lo).CopyTo(row[lo..hi]);
                        else for (int q = lo; q < hi; q++, s += g.Sw) row[q] = x[s];
                    }
                }
        });
    }

    /// <summary>
    /// The transpose: img[b, c, ih, iw] += cols[...] over every window position that reads it. img (from
    /// <paramref name="imgOffset"/>) starts zeroed.
    /// </summary>
    public static void Fold<T>(Im2Col g, T[] cols, int colsOffset, T[] img, int batch, int imgOffset = 0) where T : unmanaged, INumber<T>
    {
        if (Flat(g)) { FoldFlat(g, cols, colsOffset, img, batch, imgOffset); return; }
        int oh = g.OH, ow = g.OW;
        ForPlanes(g, batch, (b, c) =>
        {
            int dstBase = imgOffset + (b * g.C + c) * g.H * g.W;
            for (int i = 0; i < g.Kh; i++)
                for (int j = 0; j < g.Kw; j++)
                {
                    int src = colsOffset + g.RowStart(b, (c * g.Kh + i) * g.Kw + j, batch);
                    var (lo, hi) = Valid(g, j);
                    int shift = j * g.Dw - g.Pw;
                    for (int r = 0; r < oh; r++, src += ow)
                    {
                        int ih = r * g.Sh - g.Ph + i * g.Dh;
                        if (ih < 0 || ih >= g.H) continue;
                        int d = dstBase + ih * g.W + lo * g.Sw + shift;
                        for (int q = lo; q < hi; q++, d += g.Sw) img[d] += cols[src + q];
                    }
                }
        });
    }
}
