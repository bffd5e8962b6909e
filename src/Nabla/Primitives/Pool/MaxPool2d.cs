using Nabla.Backends;
using System.Numerics;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;
using Nabla.Engine;
using Nabla.Primitives.Movement;

namespace Nabla.Primitives.Pool;

/// <summary>
/// 2-d max pooling of [N, C, H, W] over the windows of <see cref="Im2Col"/> g (g.C = 1: planes are pooled
/// one by one), as torch.nn.functional.max_pool2d: padding never wins, and the forward pass records for
/// every output the flat position (ih·W + iw) of its window's maximum, as PyTorch's indices: the first
/// maximum, except that a NaN always takes over (so the value is NaN and the last NaN is the argmax).
/// y[n, c, p] = x[n, c, a[n, c, p]] with a the argmax, so for the recorded a the op is linear in x:
/// dy = gather(dx, a) ; gx = max_unpool(gy, a) (each gradient goes to one element of its window, ties
/// included, as PyTorch). Both rules are differentiable ops on the saved index (<see cref="MaxUnpool"/>'s
/// own VJP is a gather), so they differentiate again.
/// </summary>
internal sealed partial class MaxPool2d(Im2Col g) : Primitive
{
    /// <summary>The argmax of each window as [N, C, OH·OW] int32 flat positions in the H·W plane (set by Forward;
    /// kept after a backward, like a linear op's parameters, since it is small and the rules need nothing else).</summary>
    Tensor? _argmax;

    public override string Name => "max_pool2d";
    public override string GradName => "MaxPool2DWithIndicesBackward";
    public override bool SavesInputs => false;

    public override Tensor Forward(Tensor[] x)
    {
        var input = CopyKernel.AsContiguous(x[0]);
        int n = input.Shape[0], c = input.Shape[1];
        var y = CpuTensor.Empty(input.DType, new Shape([n, c, g.OH, g.OW]));
        var index = CpuTensor.Empty(DType.Int32, new Shape([n, c, g.L]));
        switch (input.DType)
        {
            case DType.Float32: Run(input.Data<float>(), input.Offset, y.Data<float>(), index.Data<int>(), n * c); break;
            case DType.Float64: Run(input.Data<double>(), input.Offset, y.Data<double>(), index.Data<int>(), n * c); break;
            default: throw new NotSupportedException($"max_pool2d: no kernel for {input.DType.TorchName()}");
        }
        _argmax = index;
        return y;
    }

    void Run<T>(T[] x, int offset, T[] y, int[] index, int planes) where T : unmanaged, INumber<T>
    {
        int hw = g.H * g.W, l = g.L;
        // Planes are independent and each writes its own outputs, so the split does not change results.
        CpuParallel.ForRange(planes * l, (start, count) =>
        {
            int first = start / l, last = (start + count - 1) / l;
            for (int p = first; p <= last; p++)
            {
                int lo = Math.Max(start, p * l) - p * l, hi = Math.Min(start + count, (p + 1) * l) - p * l;
                Plane(x.AsSpan(offset + p * hw, hw), y.AsSpan(p * l, l), index.AsSpan(p * l, l), lo, hi);
            }
        });
    }

    /// <summary>Outputs [lo, hi) of one plane: the window maximum and its flat position.</summary>
    void Plane<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> index, int lo, int hi) where T : unmanaged, INumber<T>
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
            // Window rows inside the image: i in [iLo, iHi) (padding ≤ kernel/2 always leaves one).
            int iLo = h0 >= 0 ? 0 : (-h0 + dh - 1) / dh, iHi = Math.Min(kh, (h - 1 - h0) / dh + 1);
            for (int c = pos - oh * ow; c < ow && pos < hi; c++, pos++)
            {
                int w0 = c * sw - pw;
                int jLo = w0 >= 0 ? 0 : (-w0 + dw - 1) / dw, jHi = Math.Min(kw, (w - 1 - w0) / dw + 1);
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

    /// <summary>[N, C, H·W] view of an image, the layout the saved flat indices address.</summary>
    static Tensor Planes(Tensor t, int[] imageShape) => t.Reshape(imageShape[0], imageShape[1], imageShape[2] * imageShape[3]);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        int n = gy.Shape[0], c = gy.Shape[1];
        return [Dispatch.Call(new MaxUnpool(_argmax!, g.H * g.W), gy.Reshape(n, c, g.L)).Reshape(n, c, g.H, g.W)];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null) return null;
        var d = dx[0]!;
        return Planes(d, d.Shape.ToArray()).Gather(2, _argmax!).Reshape(y.Shape.ToArray());
    }

    /// <summary>Plain loops over every window (the same first-maximum / NaN rule).</summary>
    public override RefArray Reference(RefArray[] x)
    {
        var input = x[0];
        int n = input.Shape[0], c = input.Shape[1];
        var y = RefArray.Zeros([n, c, g.OH, g.OW]);
        for (int p = 0; p < n * c; p++)
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                {
                    double max = double.NegativeInfinity;
                    for (int i = 0; i < g.Kh; i++)
                        for (int j = 0; j < g.Kw; j++)
                        {
                            int ih = oh * g.Sh - g.Ph + i * g.Dh, iw = ow * g.Sw - g.Pw + j * g.Dw;
                            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                            double v = input.Data[(p * g.H + ih) * g.W + iw];
                            if (v > max || double.IsNaN(v)) max = v;
                        }
                    y.Data[(p * g.OH + oh) * g.OW + ow] = max;
                }
        return y;
    }
}
