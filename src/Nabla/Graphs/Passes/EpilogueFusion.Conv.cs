using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Linalg;
using Nabla.Primitives.Movement;

namespace Nabla.Graphs.Passes;

internal sealed partial class EpilogueFusion
{
    /// <summary>
    /// The convolution chain that starts at the MatMul <paramref name="k"/>, as <c>Tensor.Conv2d</c> traces it (one group):
    /// <c>matmul(w [1, O, K], cols [1, K, N])</c>, its reshape to [O, N] (a 2-D product needs none), the add of an expand of a
    /// bias [O, 1]; then, when they follow, the reshape to [O, B, OH, OW], the permute (1, 0, 2, 3) to the conv's layout and
    /// an activation on that view, which eager code computes as a reordering copy. With the activation the fused op makes
    /// the activation's value [B, O, OH, OW]; without, the biased [O, N] (the reshape and permute stay views of it).
    /// Gelu, tanh and sigmoid need B, O and OH·OW of at least 2: eager code then hands them one run per image and channel,
    /// the runs the kernel uses (relu is exact on any run). Null when there is none to fuse.
    /// </summary>
    /// <example>
    /// <code>
    /// before:  %11 = matmul(%10, %9) ; %12 = reshape(%11) ; %14 = expand(%13) ; %15 = add(%12, %14) ; %16 = reshape(%15) ;
    ///          %17 = permute(%16) ; %18 = relu(%17)
    /// after:   %18 = conv_epilogue(%10, %9, %13)
    /// </code>
    /// </example>
    static Found? ConvChain(int k, List<GraphOp> ops, PassContext context, StorageClasses storage, List<int>?[] readers,
        int[] producer, int[] barrier)
    {
        var values = context.Graph.Values;
        var matmul = ops[k];
        if (ConvProduct(matmul, values) is not { } shape) return null;
        int o = shape[shape.Rank - 2], n = shape[shape.Rank - 1];
        bool untracked = RecordsNoNode(matmul);
        var members = new List<int> { k };
        var last = matmul;
        if (shape.Rank == 3)
        {
            if (Next(last, ops, context, storage, readers, untracked) is not { } reshape || ops[reshape].Op is not Reshape
                || !Is(values[ops[reshape].Outputs[0]].Shape, o, n)) return null;
            members.Add(reshape);
            last = ops[reshape];
        }
        int rows = last.Outputs[0];

        // The bias add: add(rows, expand(bias)) or add(expand(bias), rows), bias [O, 1].
        if (Next(last, ops, context, storage, readers, untracked) is not { } addIndex || ops[addIndex].Op is not Add) return null;
        var add = ops[addIndex];
        bool biasFirst = add.Inputs[1] == rows;
        int broadcast = add.Inputs[biasFirst ? 0 : 1];
        int expand = producer[broadcast];
        if (broadcast == rows || expand < 0 || !Pure(ops[expand]) || ops[expand].Op is not Expand || readers[broadcast]!.Count != 1
            || context.IsOutput[broadcast]
            || context.RequiresGrad[broadcast] && ops[expand].GradEnabled && !(untracked && RecordsNoNode(ops[expand]))) return null;
        int bias = ops[expand].Inputs[0];
        var biasValue = values[bias];
        if (!Is(biasValue.Shape, o, 1) || biasValue.DType != values[matmul.Outputs[0]].DType) return null;
        members.Add(expand);
        members.Add(addIndex);
        (last, int lastIndex) = (add, addIndex);

        // The reorder to [B, O, OH, OW] and the activation on it, if both follow.
        var activation = EpilogueActivation.None;
        var (batch, outH, outW) = (0, 0, 0);
        if (Next(add, ops, context, storage, readers, untracked) is { } reshapeIndex && ops[reshapeIndex].Op is Reshape
            && values[ops[reshapeIndex].Outputs[0]].Shape is { Rank: 4 } image && image[0] == o && (long)image[1] * image[2] * image[3] == n
            && Next(ops[reshapeIndex], ops, context, storage, readers, untracked) is { } permuteIndex && ops[permuteIndex].Op is Permute { Dims: [1, 0, 2, 3] }
            && Next(ops[permuteIndex], ops, context, storage, readers, untracked) is { } actIndex
            && Activations.TryGetValue(ops[actIndex].Op!.GetType(), out var act)
            && (act == EpilogueActivation.Relu || image[1] >= 2 && o >= 2 && image[2] * image[3] >= 2))
        {
            (activation, batch, outH, outW) = (act, image[1], image[2], image[3]);
            members.AddRange([reshapeIndex, permuteIndex, actIndex]);
            (last, lastIndex) = (ops[actIndex], actIndex);
        }

        int[] inputs = [matmul.Inputs[0], matmul.Inputs[1], bias];
        if (!Fusible(members, lastIndex, inputs, ops, context, storage, barrier, untracked)) return null;
        var fused = last.ReadingFrom(inputs, new ConvEpilogue(biasFirst, activation, activation != EpilogueActivation.None, batch, outH, outW));
        string text = "[conv bias" + (activation == EpilogueActivation.None ? "" : " " + activation.ToString().ToLowerInvariant()) + "]";
        return new Found(lastIndex, members, fused, text);
    }

    static bool Is(Shape shape, int rows, int columns) => shape.Rank == 2 && shape[0] == rows && shape[1] == columns;

    /// <summary>
    /// The shape of <paramref name="matmul"/>'s product when it can be a convolution's GEMM (a pure float CPU MatMul whose
    /// product is [O, N] or [1, O, N], as Conv2d's weight · columns makes), else null.
    /// </summary>
    static Shape? ConvProduct(GraphOp matmul, IReadOnlyList<GraphValue> values)
    {
        if (!Pure(matmul) || matmul.Op is not MatMul || matmul.Outputs.Length != 1) return null;
        var product = values[matmul.Outputs[0]];
        var shape = product.Shape;
        bool rows = shape.Rank == 2 || shape.Rank == 3 && shape[0] == 1;
        return rows && product.DType is (DType.Float32 or DType.Float64) && product.Device == Device.Cpu ? shape : null;
    }
}
