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

    /// <summary>
    /// A convolution's input gradient as the VJP of its im2col traces it: <c>matmul(wᵀ [1, R, O], g [1, O, B·L])</c> (or
    /// 2-D), the reshape to the columns [R, B, L] and the <c>fold</c> (col2im) of them into the image gradient. One
    /// <see cref="MatMulFold"/> op folds each image's columns right after the GEMM makes them, so the column gradient is never
    /// written out. Null when there is none to fuse.
    /// </summary>
    /// <example>
    /// <code>
    /// before:  %134 = matmul(%133, %130) ; %138 = reshape(%134) ; %139 = fold(%138)
    /// after:   %139 = matmul_fold(%133, %130)
    /// </code>
    /// </example>
    static Found? ConvInputGradient(int k, List<GraphOp> ops, PassContext context, StorageClasses storage, List<int>?[] readers, int[] barrier)
    {
        var values = context.Graph.Values;
        var matmul = ops[k];
        if (ConvProduct(matmul, values) is not { } shape) return null;
        int r = shape[shape.Rank - 2], n = shape[shape.Rank - 1];
        bool untracked = RecordsNoNode(matmul);
        if (Next(matmul, ops, context, storage, readers, untracked) is not { } reshape || ops[reshape].Op is not Reshape) return null;
        if (Next(ops[reshape], ops, context, storage, readers, untracked) is not { } fold || ops[fold].Op is not Fold { Geometry: { RowsOuter: true } g }) return null;
        if (g.Rows != r || g.L == 0 || !values[ops[reshape].Outputs[0]].Shape.Equals(new Shape([r, n / g.L, g.L]))) return null;
        List<int> members = [k, reshape, fold];
        if (!Fusible(members, fold, matmul.Inputs, ops, context, storage, barrier, untracked)) return null;
        return new Found(fold, members, ops[fold].ReadingFrom(matmul.Inputs, new MatMulFold(g)), "[matmul fold]");
    }
}
