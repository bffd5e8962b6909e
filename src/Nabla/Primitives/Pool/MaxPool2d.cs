using Nabla.Backends.Reference;
using Nabla.Engine;
using Nabla.Primitives.Movement;

namespace Nabla.Primitives.Pool;

/// <summary>
/// 2-d max pooling of [N, C, H, W] over the windows of <see cref="Im2Col"/> g (g.C = 1: planes are pooled
/// one by one), as torch.nn.functional.max_pool2d: padding never wins. Two outputs: y [N, C, OH, OW] and,
/// for every output, the flat position (ih·W + iw) of its window's maximum as [N, C, OH·OW] int32, as
/// PyTorch's indices: the first maximum, except that a NaN always takes over (so the value is NaN and the
/// last NaN is the argmax). y[n, c, p] = x[n, c, a[n, c, p]] with a the argmax, so for the recorded a the
/// op is linear in x: dy = gather(dx, a) ; gx = max_unpool(gy, a) (each gradient goes to one element of
/// its window, ties included, as PyTorch). With dilation a window can lie entirely in the padding: its
/// output is -inf and its argmax -1, so its gradient goes nowhere and its tangent is 0. Both rules are differentiable ops on the argmax output
/// (<see cref="MaxUnpool"/>'s own VJP is a gather), so they differentiate again.
/// </summary>
internal sealed class MaxPool2d(Im2Col g) : Primitive
{
    public override string Name => "max_pool2d";
    public override bool MayFailInReplay => false;   // moves values by shape alone
    public override string GradName => "MaxPool2DWithIndicesBackward";

    // The rules need only the argmax (a side output, kept on this record after a backward like a linear
    // op's parameters, since it is small), not the input.
    public override bool SavesInputs => false;

    /// <summary>The window geometry (per plane: C = 1).</summary>
    public Im2Col Geometry => g;

    public override int OutputCount => 2;

    public override DType[] OutputDTypes(Tensor[] x) => [x[0].DType, DType.Int32];

    /// <summary>The argmax output: [N, C, OH·OW] int32 flat positions in the H·W plane.</summary>
    Tensor Argmax => SideOutputs[0];

    /// <summary>[N, C, H·W] view of an image, the layout the argmax's flat positions address.</summary>
    static Tensor Planes(Tensor t, int[] imageShape) => t.Reshape(imageShape[0], imageShape[1], imageShape[2] * imageShape[3]);

    /// <summary>
    /// Whether some window lies entirely in the padding (possible only with dilation): its output is -inf,
    /// its argmax -1, and the rules must then treat position -1 as "no element".
    /// </summary>
    public bool HasEmptyWindows { get; } = EmptyAlong(g.OH, g.H, g.Kh, g.Sh, g.Ph, g.Dh) || EmptyAlong(g.OW, g.W, g.Kw, g.Sw, g.Pw, g.Dw);

    static bool EmptyAlong(int outputs, int size, int k, int stride, int pad, int dilation)
    {
        for (int o = 0; o < outputs; o++)
        {
            bool any = false;
            for (int i = 0; i < k && !any; i++) any = (uint)(o * stride - pad + i * dilation) < (uint)size;
            if (!any) return true;
        }
        return false;
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        int n = gy.Shape[0], c = gy.Shape[1];
        return [Dispatch.Call(new MaxUnpool(g.H * g.W, HasEmptyWindows), gy.Reshape(n, c, g.L), Argmax).Reshape(n, c, g.H, g.W)];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null) return null;
        var d = dx[0]!;
        return MaxUnpool.GatherAt(Planes(d, d.Shape.ToArray()), Argmax, HasEmptyWindows).Reshape(y.Shape.ToArray());
    }

    public override RefArray Reference(RefArray[] x) => ReferenceOutputs(x)[0];

    /// <summary>Plain loops over every window (the same first-maximum / NaN rule): [y, argmax].</summary>
    public override RefArray[] ReferenceOutputs(RefArray[] x)
    {
        var input = x[0];
        int n = input.Shape[0], c = input.Shape[1];
        var y = RefArray.Zeros([n, c, g.OH, g.OW]);
        var argmax = RefArray.Zeros([n, c, g.L]);
        for (int p = 0; p < n * c; p++)
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                {
                    double max = double.NegativeInfinity;
                    int at = -1;
                    for (int i = 0; i < g.Kh; i++)
                        for (int j = 0; j < g.Kw; j++)
                        {
                            int ih = oh * g.Sh - g.Ph + i * g.Dh, iw = ow * g.Sw - g.Pw + j * g.Dw;
                            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                            double v = input.Data[(p * g.H + ih) * g.W + iw];
                            // The first element inside the image starts; a later one wins when larger, or NaN.
                            if (at < 0 || v > max || double.IsNaN(v)) (max, at) = (v, ih * g.W + iw);
                        }
                    y.Data[(p * g.OH + oh) * g.OW + ow] = max;
                    argmax.Data[p * g.L + oh * g.OW + ow] = at;
                }
        return [y, argmax];
    }
}
