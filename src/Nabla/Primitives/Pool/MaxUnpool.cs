using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Pool;

/// <summary>
/// Max pooling's transpose for recorded argmax positions (torch's max_unpool, with adds): x[0] [N, C, L] is
/// scattered into zeros [N, C, H·W] at the flat positions x[1] [N, C, L] (int32, the index),
/// repeated positions adding up (overlapping windows that share a maximum); position -1 (a window entirely
/// in the padding, flagged by <paramref name="hasEmpty"/>) receives nothing. Linear in x[0]:
/// y = scatter(x) ; dy = scatter(dx) ; gx = gather(gy, index) (dim 2). The index carries no gradient.
/// NB: the index is an input, not a field: a graph that records this op (a backward traced by
/// Graph.Compile) must read each run's own argmax, and a field would freeze the traced one.
/// Adds run in position order within a plane and planes are independent, so results do not depend on the
/// thread count.
/// </summary>
internal sealed class MaxUnpool(int planeSize, bool hasEmpty = false) : Primitive
{
    public override string Name => "max_unpool";
    public override string GradName => "MaxPool2DWithIndicesBackwardBackward";

    /// <summary>The size H·W of each output plane.</summary>
    public int PlaneSize => planeSize;

    /// <summary>Scatters <paramref name="x"/> [N, C, L] to the int32 positions <paramref name="index"/> [N, C, L] of zeroed [N, C, H·W] planes.</summary>
    internal static Tensor Run(Tensor x, Tensor index, int planeSize, bool hasEmpty) =>
        Dispatch.Call(new MaxUnpool(planeSize, hasEmpty), x, index);

    // Saves its inputs for the index (x[1]); x[0] is kept too, a cost paid only when this op is itself recorded (second order).
    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [GatherAt(gy, x[1], hasEmpty), null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Run(dx[0]!, x[1], planeSize, hasEmpty);

    /// <summary>
    /// planes.Gather(2, index), with 0 where the index is -1 when <paramref name="hasEmpty"/> (the masking
    /// is skipped otherwise: no window of that geometry can be empty).
    /// </summary>
    internal static Tensor GatherAt(Tensor planes, Tensor index, bool hasEmpty)
    {
        if (!hasEmpty) return planes.Gather(2, index);
        var valid = index.Ge(0L);
        var picked = planes.Gather(2, Tensor.Where(valid, index, Tensor.Full([], 0, index.DType, device: index.Device)));
        return Tensor.Where(valid, picked, Tensor.Full([], 0, picked.DType, device: picked.Device));
    }

    public override RefArray Reference(RefArray[] x)
    {
        var src = x[0];
        int planes = src.Shape[0] * src.Shape[1], l = src.Shape[2];
        var idx = x[1].Data;
        var y = RefArray.Zeros([src.Shape[0], src.Shape[1], planeSize]);
        for (int p = 0; p < planes; p++)
            for (int q = 0; q < l; q++)
                if (idx[p * l + q] >= 0) y.Data[p * planeSize + (int)idx[p * l + q]] += src.Data[p * l + q];
        return y;
    }
}
