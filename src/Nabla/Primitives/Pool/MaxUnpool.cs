using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Pool;

/// <summary>
/// Max pooling's transpose for recorded argmax positions (torch's max_unpool, with adds): x [N, C, L] (input 0)
/// is scattered into zeros [N, C, H·W] at the flat positions index [N, C, L] (input 1, int32),
/// repeated positions adding up (overlapping windows that share a maximum); position -1 (a window entirely
/// in the padding, flagged by <paramref name="hasEmpty"/>) receives nothing. Linear in x:
/// y = scatter(x) ; dy = scatter(dx) ; gx = gather(gy, index) (dim 2). The index carries no gradient.
/// Adds run in position order within a plane and planes are independent, so results do not depend on the
/// thread count. The index is an input, not a parameter: a primitive holds plain data only, so a traced
/// graph (which replays a backward's ops on each call's values) reads each call's own positions.
/// </summary>
internal sealed class MaxUnpool(int planeSize, bool hasEmpty = false) : Primitive
{
    public override string Name => "max_unpool";
    public override string GradName => "MaxPool2DWithIndicesBackwardBackward";

    /// <summary>The size H·W of each output plane.</summary>
    public int PlaneSize => planeSize;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [GatherAt(gy, x[1], hasEmpty), null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Dispatch.Call(new MaxUnpool(planeSize, hasEmpty), dx[0]!, x[1]);

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
        var idx = Array.ConvertAll(x[1].Data, v => (int)v);
        var y = RefArray.Zeros([src.Shape[0], src.Shape[1], planeSize]);
        for (int p = 0; p < planes; p++)
            for (int q = 0; q < l; q++)
                if (idx[p * l + q] >= 0) y.Data[p * planeSize + idx[p * l + q]] += src.Data[p * l + q];
        return y;
    }
}
