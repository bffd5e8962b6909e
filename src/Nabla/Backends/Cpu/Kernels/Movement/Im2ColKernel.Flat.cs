using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

using Nabla.Primitives.Movement;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// The "same" convolution fast path of im2col/col2im: stride 1 and OW = W (3×3 padding 1, 5×5 padding 2,
/// dilated same kernels). Then a column row (c, i, j) read as a flat [OH·W] run is the image plane
/// shifted by one constant, off = (i·Dh - Ph)·W + (j·Dw - Pw), except the few columns a shift by
/// j·Dw - Pw pushes across a row edge. So each (plane, i, j) is one long contiguous copy (unfold) or
/// add (fold) with a per-column bit mask that zeroes the wrapped elements, instead of OH short rows.
/// Masked lanes become +0 (unfold writes 0 as the row loop does; fold adds +0, which leaves every sum
/// unchanged since an image sum is never -0), and adds run in the same (i, j) order per pixel, so the
/// results are bitwise those of the row loops.
/// </summary>
internal static partial class Im2ColKernel
{
    /// <summary>Whether the flat-shift kernels apply (stride 1, output width = input width).</summary>
    static bool Flat(Im2Col g) => g.Sh == 1 && g.Sw == 1 && g.OW == g.W;

    /// <summary>
    /// For each kernel column j: a mask over max(H, OH) rows of width W, all bits set at the column k
    /// where k + d lies in [0, W) with d = ±(j·Dw - Pw) (sign +1: unfold's source column from the
    /// destination column; -1: fold's), zero elsewhere. Empty when no shift happens (d = 0).
    /// </summary>
    static T[][] ColumnMasks<T>(Im2Col g, int sign) where T : unmanaged, INumber<T>
    {
        int rows = Math.Max(g.H, g.OH), w = g.W;
        var masks = new T[g.Kw][];
        for (int j = 0; j < g.Kw; j++)
        {
            int d = sign * (j * g.Dw - g.Pw);
            if (d == 0) { masks[j] = []; continue; }
            var m = new T[rows * w];
            var (kLo, kHi) = Columns(w, d);
            for (int r = 0; r < rows; r++)
                MemoryMarshal.AsBytes(m.AsSpan(r * w + kLo, Math.Max(0, kHi - kLo))).Fill(0xFF);
            masks[j] = m;
        }
        return masks;
    }

    /// <summary>Destination columns k whose source column k + d lies inside [0, W): [lo, hi).</summary>
    static (int Lo, int Hi) Columns(int w, int d) => (Math.Clamp(-d, 0, w), Math.Clamp(w - d, 0, w));

    /// <summary>cols rows (c, i, j) of every plane from flat shifted runs of the image (see the type's remarks).</summary>
    static void UnfoldFlat<T>(Im2Col g, T[] x, int xOffset, T[] cols, int batch) where T : unmanaged, INumber<T>
    {
        var masks = ColumnMasks<T>(g, +1);
        int oh = g.OH, w = g.W, hw = g.H * g.W;
        ForPlanes(g, batch, (b, c) =>
        {
            int src = xOffset + (b * g.C + c) * hw;
            for (int i = 0; i < g.Kh; i++)
            {
                // Output rows whose input row r - Ph + i·Dh lies inside the image: [rLo, rHi).
                int rLo = Math.Clamp(g.Ph - i * g.Dh, 0, oh), rHi = Math.Clamp(g.H + g.Ph - i * g.Dh, rLo, oh);
                for (int j = 0; j < g.Kw; j++)
                {
                    var row = cols.AsSpan(g.RowStart(b, (c * g.Kh + i) * g.Kw + j, batch), oh * w);
                    int d = j * g.Dw - g.Pw, off = (i * g.Dh - g.Ph) * w + d;
                    var (kLo, kHi) = Columns(w, d);
                    if (rLo == rHi || kLo >= kHi) { row.Clear(); continue; }
                    // Valid run [first, end): from the first valid column of row rLo to the last of row rHi - 1;
                    // outside it everything is padding, and inside it every source index stays in the plane.
                    int first = rLo * w + kLo, end = (rHi - 1) * w + kHi;
                    row[..first].Clear();
                    row[end..].Clear();
                    var source = x.AsSpan(src + first + off, end - first);
                    if (d == 0) source.CopyTo(row[first..end]);
                    else MaskedCopy(source, masks[j].AsSpan(first, end - first), row[first..end]);
                }
            }
        });
    }

    /// <summary>img planes += the shifted flat runs of their column rows, (i, j) in order (see the type's remarks).</summary>
    static void FoldFlat<T>(Im2Col g, T[] cols, int colsOffset, T[] img, int batch, int imgOffset) where T : unmanaged, INumber<T>
    {
        var masks = ColumnMasks<T>(g, -1);
        int oh = g.OH, w = g.W, hw = g.H * g.W;
        ForPlanes(g, batch, (b, c) =>
        {
            var plane = img.AsSpan(imgOffset + (b * g.C + c) * hw, hw);
            for (int i = 0; i < g.Kh; i++)
            {
                // Image rows read by output row ih + Ph - i·Dh inside [0, OH): [rLo, rHi).
                int rLo = Math.Clamp(i * g.Dh - g.Ph, 0, g.H), rHi = Math.Clamp(oh + i * g.Dh - g.Ph, rLo, g.H);
                for (int j = 0; j < g.Kw; j++)
                {
                    int d = g.Pw - j * g.Dw, off = (g.Ph - i * g.Dh) * w + d;
                    var (kLo, kHi) = Columns(w, d);
                    if (rLo == rHi || kLo >= kHi) continue;
                    int first = rLo * w + kLo, end = (rHi - 1) * w + kHi;
                    var source = cols.AsSpan(colsOffset + g.RowStart(b, (c * g.Kh + i) * g.Kw + j, batch) + first + off, end - first);
                    var target = plane[first..end];
                    if (d == 0) TensorPrimitives.Add<T>(target, source, target);
                    else MaskedAdd(source, masks[j].AsSpan(first, end - first), target);
                }
            }
        });
    }

    /// <summary>dst[k] = src[k] where mask[k] has its bits set, +0 where it is zero.</summary>
    static void MaskedCopy<T>(ReadOnlySpan<T> src, ReadOnlySpan<T> mask, Span<T> dst) where T : unmanaged, INumber<T>
    {
        ref T s = ref MemoryMarshal.GetReference(src), m = ref MemoryMarshal.GetReference(mask), o = ref MemoryMarshal.GetReference(dst);
        int n = src.Length, k = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; k <= n - Vector512<T>.Count; k += Vector512<T>.Count)
                (Vector512.LoadUnsafe(ref s, (nuint)k) & Vector512.LoadUnsafe(ref m, (nuint)k)).StoreUnsafe(ref o, (nuint)k);
        if (Vector256.IsHardwareAccelerated)
            for (; k <= n - Vector256<T>.Count; k += Vector256<T>.Count)
                (Vector256.LoadUnsafe(ref s, (nuint)k) & Vector256.LoadUnsafe(ref m, (nuint)k)).StoreUnsafe(ref o, (nuint)k);
        for (; k < n; k++) dst[k] = T.IsZero(mask[k]) ? T.Zero : src[k];
    }

    /// <summary>dst[k] += src[k] where mask[k] has its bits set (adds +0 elsewhere, which changes nothing).</summary>
    static void MaskedAdd<T>(ReadOnlySpan<T> src, ReadOnlySpan<T> mask, Span<T> dst) where T : unmanaged, INumber<T>
    {
        ref T s = ref MemoryMarshal.GetReference(src), m = ref MemoryMarshal.GetReference(mask), o = ref MemoryMarshal.GetReference(dst);
        int n = src.Length, k = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; k <= n - Vector512<T>.Count; k += Vector512<T>.Count)
                (Vector512.LoadUnsafe(ref o, (nuint)k) + (Vector512.LoadUnsafe(ref s, (nuint)k) & Vector512.LoadUnsafe(ref m, (nuint)k))).StoreUnsafe(ref o, (nuint)k);
        if (Vector256.IsHardwareAccelerated)
            for (; k <= n - Vector256<T>.Count; k += Vector256<T>.Count)
                (Vector256.LoadUnsafe(ref o, (nuint)k) + (Vector256.LoadUnsafe(ref s, (nuint)k) & Vector256.LoadUnsafe(ref m, (nuint)k))).StoreUnsafe(ref o, (nuint)k);
        for (; k < n; k++)
            if (!T.IsZero(mask[k])) dst[k] += src[k];
    }
}
