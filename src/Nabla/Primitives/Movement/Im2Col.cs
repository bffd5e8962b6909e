using System.Numerics;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// The sliding-window geometry shared by <see cref="Unfold"/> (im2col) and <see cref="Fold"/> (col2im):
/// an image [B, C, H, W], a kh×kw window with dilation, zero padding and stride, giving OH×OW window
/// positions. Column layout [B, C·kh·kw, OH·OW], row (c·kh + i)·kw + j, as torch.nn.functional.unfold;
/// with <paramref name="RowsOuter"/> the layout is [C·kh·kw, B, OH·OW] instead, so a convolution of the
/// whole batch is one GEMM weight[O, C·kh·kw] · cols[C·kh·kw, B·L] (no batched small GEMMs, and the
/// weight gradient is one GEMM over K = B·L with no sum over the batch afterwards).
/// </summary>
internal sealed partial record Im2Col(int C, int H, int W, int Kh, int Kw, int Sh, int Sw, int Ph, int Pw, int Dh, int Dw, bool RowsOuter = false)
{
    public int OH => (H + 2 * Ph - Dh * (Kh - 1) - 1) / Sh + 1;
    public int OW => (W + 2 * Pw - Dw * (Kw - 1) - 1) / Sw + 1;
    public int Rows => C * Kh * Kw;
    public int L => OH * OW;

    public int[] ImageShape(int b) => [b, C, H, W];
    public int[] ColumnShape(int b) => RowsOuter ? [Rows, b, L] : [b, Rows, L];

    /// <summary>The batch size of a column tensor's shape.</summary>
    public int ColumnBatch(Shape cols) => RowsOuter ? cols[1] : cols[0];

    /// <summary>Start of column row <paramref name="row"/> of image <paramref name="b"/> (of <paramref name="batch"/>).</summary>
    int RowStart(int b, int row, int batch) => (RowsOuter ? row * batch + b : b * Rows + row) * L;

    /// <summary>Output columns ow whose input column ow·Sw - Pw + j·Dw lies inside [0, W): [lo, hi).</summary>
    (int Lo, int Hi) Valid(int j)
    {
        int shift = j * Dw - Pw;                          // iw = ow*Sw + shift
        int lo = shift >= 0 ? 0 : (-shift + Sw - 1) / Sw;
        int hi = W - 1 - shift < 0 ? 0 : (W - 1 - shift) / Sw + 1;
        return (Math.Min(lo, OW), Math.Clamp(hi, Math.Min(lo, OW), OW));
    }

    /// <summary>
    /// Runs body over (b, c) planes, in parallel when the work is large. Each plane owns a disjoint part
    /// of the output (unfold: its rows; fold: its image), so results do not depend on the thread count.
    /// </summary>
    void ForPlanes(int batch, Action<int, int> body)
    {
        int planes = batch * C;
        long work = (long)planes * Kh * Kw * L;
        if (work < CpuParallel.Threshold || CpuParallel.Threads <= 1 || planes < 2)
        {
            for (int p = 0; p < planes; p++) body(p / C, p % C);
            return;
        }
        CpuWorkers.For(planes, CpuParallel.Threads - 1, p => body(p / C, p % C));
    }

    /// <summary>cols[b, (c·kh+i)·kw+j, oh·OW+ow] = x[b, c, oh·Sh-Ph+i·Dh, ow·Sw-Pw+j·Dw] (0 outside). x is contiguous.</summary>
    public void Unfold<T>(T[] x, int xOffset, T[] cols, int batch) where T : unmanaged, INumber<T>
    {
        if (Flat) { UnfoldFlat(x, xOffset, cols, batch); return; }
        int oh = OH, ow = OW;
        ForPlanes(batch, (b, c) =>
        {
            int src = xOffset + (b * C + c) * H * W;
            for (int i = 0; i < Kh; i++)
                for (int j = 0; j < Kw; j++)
                {
                    int dst = RowStart(b, (c * Kh + i) * Kw + j, batch);
                    var (lo, hi) = Valid(j);
                    int shift = j * Dw - Pw;
                    for (int r = 0; r < oh; r++, dst += ow)
                    {
                        var row = cols.AsSpan(dst, ow);
                        int ih = r * Sh - Ph + i * Dh;
                        if (ih < 0 || ih >= H || lo >= hi) { row.Clear(); continue; }
                        row[..lo].Clear();
                        row[hi..].Clear();
                        int s = src + ih * W + lo * Sw + shift;
                        if (Sw == 1) x.AsSpan(s, hi - lo).CopyTo(row[lo..hi]);
                        else for (int q = lo; q < hi; q++, s += Sw) row[q] = x[s];
                    }
                }
        });
    }

    /// <summary>The transpose: img[b, c, ih, iw] += cols[...] over every window position that reads it. img starts zeroed.</summary>
    public void Fold<T>(T[] cols, int colsOffset, T[] img, int batch) where T : unmanaged, INumber<T>
    {
        if (Flat) { FoldFlat(cols, colsOffset, img, batch); return; }
        int oh = OH, ow = OW;
        ForPlanes(batch, (b, c) =>
        {
            int dstBase = (b * C + c) * H * W;
            for (int i = 0; i < Kh; i++)
                for (int j = 0; j < Kw; j++)
                {
                    int src = colsOffset + RowStart(b, (c * Kh + i) * Kw + j, batch);
                    var (lo, hi) = Valid(j);
                    int shift = j * Dw - Pw;
                    for (int r = 0; r < oh; r++, src += ow)
                    {
                        int ih = r * Sh - Ph + i * Dh;
                        if (ih < 0 || ih >= H) continue;
                        int d = dstBase + ih * W + lo * Sw + shift;
                        for (int q = lo; q < hi; q++, d += Sw) img[d] += cols[src + q];
                    }
                }
        });
    }

    /// <summary>Double loops over every (b, row, position): the oracle for both directions.</summary>
    public void ReferenceLoop(int batch, Action<int, int, int, int, int, int> visit)
    {
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < C; c++)
                for (int i = 0; i < Kh; i++)
                    for (int j = 0; j < Kw; j++)
                        for (int r = 0; r < OH; r++)
                            for (int q = 0; q < OW; q++)
                            {
                                int ih = r * Sh - Ph + i * Dh, iw = q * Sw - Pw + j * Dw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                int row = (c * Kh + i) * Kw + j;
                                // visit(b, row, position, c, ih, iw)
                                visit(b, row, r * OW + q, c, ih, iw);
                            }
    }

    internal static RefArray ReferenceUnfold(Im2Col g, RefArray x)
    {
        int batch = x.Shape[0];
        var y = RefArray.Zeros(g.ColumnShape(batch));
        g.ReferenceLoop(batch, (b, row, pos, c, ih, iw) => y.Data[g.RowStart(b, row, batch) + pos] = x[[b, c, ih, iw]]);
        return y;
    }

    internal static RefArray ReferenceFold(Im2Col g, RefArray cols)
    {
        int batch = g.RowsOuter ? cols.Shape[1] : cols.Shape[0];
        var y = RefArray.Zeros(g.ImageShape(batch));
        g.ReferenceLoop(batch, (b, row, pos, c, ih, iw) => y.Data[y.Ravel([b, c, ih, iw])] += cols.Data[g.RowStart(b, row, batch) + pos]);
        return y;
    }
}
