using Nabla.Backends.Reference;

namespace Nabla.Primitives.Movement;

/// <summary>
/// The sliding-window geometry shared by <see cref="Unfold"/> (im2col) and <see cref="Fold"/> (col2im):
/// an image [B, C, H, W], a kh×kw window with dilation, zero padding and stride, giving OH×OW window
/// positions. Column layout [B, C·kh·kw, OH·OW], row (c·kh + i)·kw + j, as torch.nn.functional.unfold;
/// with <paramref name="RowsOuter"/> the layout is [C·kh·kw, B, OH·OW] instead, so a convolution of the
/// whole batch is one GEMM weight[O, C·kh·kw] · cols[C·kh·kw, B·L] (no batched small GEMMs, and the
/// weight gradient is one GEMM over K = B·L with no sum over the batch afterwards).
/// The CPU loops over this geometry are in <c>Backends/Cpu/Kernels/Movement/Im2ColKernel*.cs</c>; the
/// reference loops here are the oracle for both directions (and for max pooling's windows).
/// </summary>
internal sealed record Im2Col(int C, int H, int W, int Kh, int Kw, int Sh, int Sw, int Ph, int Pw, int Dh, int Dw, bool RowsOuter = false)
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
    public int RowStart(int b, int row, int batch) => (RowsOuter ? row * batch + b : b * Rows + row) * L;

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
