using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Linalg;
using Nabla.Primitives.Movement;

namespace Nabla.Graphs.Passes;

internal sealed partial class EpilogueFusion
{
    /// <summary>
    /// The start of a convolution's backward after a ReLU, as the VJPs of <c>Tensor.Conv2d</c>'s reorder trace it:
    /// <c>relu_backward(g, r)</c> on [B, O, OH, OW], the permute (1, 0, 2, 3) and the reshape to [O, B·OH·OW] that copies
    /// it into the rows the weight- and bias-gradient GEMM and sum read. One <see cref="ReluBackwardRows"/> op masks each
    /// plane straight into its place in the rows (one pass instead of two). Null when there is none to fuse.
    /// </summary>
    /// <example>
    /// <code>
    /// before:  %143 = relu_backward(%142, %18) ; %144 = permute(%143) ; %145 = reshape(%144)
    /// after:   %145 = relu_backward_rows(%142, %18)
    /// </code>
    /// </example>
    static Found? ReluGradientRows(int k, List<GraphOp> ops, PassContext context, StorageClasses storage, List<int>?[] readers, int[] barrier)
    {
        var values = context.Graph.Values;
        var mask = ops[k];
        if (!Pure(mask) || mask.Op is not ReluBackward || mask.Outputs.Length != 1 || mask.Inputs.Length != 2) return null;
        var masked = values[mask.Outputs[0]];
        var s = masked.Shape;
        if (s.Rank != 4 || masked.Device != Device.Cpu || mask.Inputs.Any(id => !values[id].Shape.Equals(s) || values[id].DType != masked.DType)) return null;
        bool untracked = RecordsNoNode(mask);
        if (Next(mask, ops, context, storage, readers, untracked) is not { } permute || ops[permute].Op is not Permute { Dims: [1, 0, 2, 3] }) return null;
        if (Next(ops[permute], ops, context, storage, readers, untracked) is not { } reshape || ops[reshape].Op is not Reshape
            || !Is(values[ops[reshape].Outputs[0]].Shape, s[1], s[0] * s[2] * s[3])) return null;
        List<int> members = [k, permute, reshape];
        if (!Fusible(members, reshape, mask.Inputs, ops, context, storage, barrier, untracked)) return null;
        return new Found(reshape, members, ops[reshape].ReadingFrom(mask.Inputs, new ReluBackwardRows()), "[relu_backward rows]");
    }
}
