using System.Numerics;
using Nabla.Primitives.Movement;
using Nabla.Primitives.Pool;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="MaxPool2d"/> on the CPU: per plane, each output's window maximum and its flat position
/// (ih·W + iw). The first maximum wins, except that a NaN always takes over (so the last NaN is the
/// argmax), as PyTorch's indices; padding never wins. A window entirely in the padding gives -inf at
/// position -1.
/// </summary>
internal static partial class MaxPool2dKernel
{
    /// <summary>[y, argmax]: y [N, C, OH, OW] and the argmax as [N, C, OH·OW] int32 flat positions in the H·W plane.</summary>
    public static Tensor[] Run(MaxPool2d op, Tensor x) => RunInto(op, x, [null, null])!;

    /// <summary>
    /// <see cref="Run"/> into given outputs (<see cref="KernelEntry.ManyInto"/>): y into <paramref name="into"/>[0] and the
    /// argmax into [1] where given (a new tensor where null); null, with nothing written, when a given one does not fit
    /// (<see cref="IntoOutput.Fits"/>; nor may the two share memory).
    /// </summary>
    public static Tensor[]? RunInto(MaxPool2d op, Tensor x, Tensor?[] into)
    {
        var g = op.Geometry;
        int n = x.Shape[0], c = x.Shape[1];
        if (into.Length != 2 || into[0] is { } y0 && !IntoOutput.Fits(y0, x.DType, [n, c, g.OH, g.OW], x) ||
            into[1] is { } i0 && !IntoOutput.Fits(i0, DType.Int32, [n, c, g.L], x) || into[0] is { } a && into[1] is { } b && a.SharesStorage(b))
            return null;
        var input = CopyKernel.AsContiguous(x);
        var y = into[0] ?? CpuTensor.Empty(input.DType, new Shape([n, c, g.OH, g.OW]));
        var index = into[1] ?? CpuTensor.Empty(DType.Int32, new Shape([n, c, g.L]));
        switch (input.DType)
        {
            case DType.Float32: Run(g, input.Data<float>(), input.Offset, y.Data<float>(), index.Data<int>(), n * c); break;
            case DType.Float64: Run(g, input.Data<double>(), input.Offset, y.Data<double>(), index.Data<int>(), n * c); break;
            default: throw new NotSupportedException($"max_pool2d: no kernel for {input.DType.TorchName()}");
        }
        return [y, index];
    }

    static void Run<T>(Im2Col g, T[] x, int offset, T[] y, int[] index, int planes) where T : unmanaged, INumber<T>
    {
        int hw = g.H * g.W, l = g.L;
        // Planes are independent and each writes its own outputs, so the split does not change results.
        CpuParallel.ForRange(planes * l, (start, count) =>
        {
            int first = start / l, last = (start + count - 1) / l;
            for (int p = first; p <= last; p++)
            {
                int lo = Math.Max(start, p * l) - p * l, hi = Math.Min(start + count, (p + 1) * l) - p * l;
                Plane(g, x.AsSpan(offset + p * hw, hw), y.AsSpan(p * l, l), index.AsSpan(p * l, l), lo, hi);
            }
        });
    }

    /// <summary>Outputs [lo, hi) of one plane: the window maximum and its flat position.</summary>
    static void Plane<T>(Im2Col g, ReadOnlySpan<T> x, Span<T> y, Span<int> index, int lo, int hi) where T : unmanaged, INumber<T>
    {
        // Geometry in locals (kept in registers); rows and columns walked without divisions per window.
        int w = g.W, h = g.H, ow = g.OW, kh = g.Kh, kw = g.Kw, sh = g.Sh, sw = g.Sw, ph = g.Ph, pw = g.Pw, dh = g.Dh, dw = g.Dw;
        if (kh == 2 && kw == 2 && dh == 1 && dw == 1 && ph == 0 && pw == 0)
        {
            // Stride 2 (the default): vector chunks, whose lanes carry positions exactly below 2^24.
            if (sh == 2 && sw == 2 && h * w < 1 << 24) Stride2x2(x, y, index, lo, hi, w, ow);
            else Plane2x2(x, y, index, lo, hi, w, ow, sh, sw);
            return;
        }
        for (int oh = lo / ow, pos = lo; pos < hi; oh++)
        {
            int h0 = oh * sh - ph;
            // Window rows inside the image: i in [iLo, iHi); empty when dilation puts the whole window in the padding.
            int iLo = h0 >= 0 ? 0 : (-h0 + dh - 1) / dh, iHi = Math.Min(kh, (h - 1 - h0) / dh + 1);
            for (int c = pos - oh * ow; c < ow && pos < hi; c++, pos++)
            {
                int w0 = c * sw - pw;
                int jLo = w0 >= 0 ? 0 : (-w0 + dw - 1) / dw, jHi = Math.Min(kw, (w - 1 - w0) / dw + 1);
                if (iLo >= iHi || jLo >= jHi)
                {
                    // With dilation a window can lie entirely in the padding: -inf, as PyTorch, and no
                    // element to send a gradient to (position -1).
                    y[pos] = T.CreateTruncating(double.NegativeInfinity);
                    index[pos] = -1;
                    continue;
                }
                // Start from the first element inside the image; a later one wins only when larger, or NaN.
                int argmax = (h0 + iLo * dh) * w + w0 + jLo * dw;
                T max = x[argmax];
                for (int i = iLo; i < iHi; i++)
                {
                    int at = (h0 + i * dh) * w + w0 + jLo * dw;
                    for (int j = jLo; j < jHi; j++, at += dw)
                    {
                        T v = x[at];
                        if (v > max || (T.IsNaN(v) && at != argmax))
                        {
                            max = v;
                            argmax = at;
                        }
                    }
                }
                y[pos] = max;
                index[pos] = argmax;
            }
        }
    }

    /// <summary>The common 2×2 window without padding or dilation, unrolled (same order and tie rule).</summary>
    static void Plane2x2<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> index, int lo, int hi, int w, int ow, int sh, int sw)
        where T : unmanaged, INumber<T>
    {
        for (int oh = lo / ow, pos = lo; pos < hi; oh++)
            for (int c = pos - oh * ow; c < ow && pos < hi; c++, pos++)
            {
                int at = oh * sh * w + c * sw;
                T max = x[at];
                int argmax = at;
                Take(x, at + 1, ref max, ref argmax);
                Take(x, at + w, ref max, ref argmax);
                Take(x, at + w + 1, ref max, ref argmax);
                y[pos] = max;
                index[pos] = argmax;
            }
    }

    static void Take<T>(ReadOnlySpan<T> x, int at, ref T max, ref int argmax) where T : unmanaged, INumber<T>
    {
        T v = x[at];
        if (v > max || T.IsNaN(v))
        {
            max = v;
            argmax = at;
        }
    }
}
