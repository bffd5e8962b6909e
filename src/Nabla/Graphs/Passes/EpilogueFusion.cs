using Nabla.Primitives;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Linalg;
using Nabla.Primitives.Movement;
using Nabla.Primitives.Special;

namespace Nabla.Graphs.Passes;

/// <summary>
/// Replaces a 2-D float MatMul followed by the add of a row-broadcast bias (an expand of a [1, n] value), then optionally
/// relu, gelu, tanh or sigmoid, then optionally the add of a residual of the output's shape, by one
/// <see cref="MatMulEpilogue"/> op, whose CPU kernel applies the epilogue to each block of output rows right after the
/// GEMM completes it (eager's bits: the epilogue runs after the full k sum, each step by its own span kernel); and a
/// convolution's GEMM with its per-channel bias, reorder and activation by one <see cref="ConvEpilogue"/> op (see
/// <c>ConvChain</c>); in a conv's backward, the input gradient's GEMM and col2im by one <see cref="MatMulFold"/> and relu's
/// gradient mask with the reorder to the GEMM's rows by one <see cref="ReluBackwardRows"/> (EpilogueFusion.ConvGrad.cs). Runs before elementwise fusion, which would otherwise take the add and the activation. Refuses as
/// that pass does: each value inside the chain must be read only by the next step, be no result, not be written and not
/// require grad; no write, control-flow or custom op may sit between the ops. Inputs that require grad (a layer's
/// parameters) are allowed when every op of the chain ran with grad mode off, or when a replay records no node for any
/// of them (<see cref="GraphOp.RecordsForCaller"/>: a training step whose backward is part of the graph), so no gradient
/// can flow through the fused op in a replay; values inside the chain and its result may then require grad too.
/// </summary>
/// <example>
/// <code>
/// before:  %3 = matmul(%0, %2) ; %5 = reshape(%1) ; %6 = expand(%5) ; %7 = add(%3, %6) ; %8 = relu(%7)
/// after:   %5 = reshape(%1) ; %8 = matmul_epilogue(%0, %2, %5)
/// </code>
/// </example>
internal sealed partial class EpilogueFusion : GraphPass
{
    public override GraphPasses Flag => GraphPasses.Epilogues;
    public override string Name => "epilogue";

    static readonly Dictionary<Type, EpilogueActivation> Activations = new()
    {
        [typeof(Relu)] = EpilogueActivation.Relu, [typeof(Gelu)] = EpilogueActivation.Gelu,
        [typeof(Tanh)] = EpilogueActivation.Tanh, [typeof(Sigmoid)] = EpilogueActivation.Sigmoid,
    };

    public override string? Run(PassContext context)
    {
        var ops = context.Graph.Ops;
        var storage = context.Storage();
        var graphIndex = new GraphIndex(context.Graph);
        var (readers, producer, barrier) = (graphIndex.Readers, graphIndex.Producer, graphIndex.Barrier);

        var replaced = new Dictionary<int, GraphOp>();
        var removed = new HashSet<int>();
        var done = new List<string>();
        for (int k = 0; k < ops.Count; k++)
        {
            if (removed.Contains(k) || (Chain(k, ops, context, storage, readers, producer, barrier)
                ?? ConvChain(k, ops, context, storage, readers, producer, barrier)
                ?? ConvInputGradient(k, ops, context, storage, readers, barrier)
                ?? ReluGradientRows(k, ops, context, storage, readers, barrier)) is not { } chain) continue;
            // NB: two chains can claim one op (add(matmul, matmul) of [1, n] values: either product is the other's "bias");
            // the first one found keeps it.
            if (chain.Members.Any(m => removed.Contains(m) || replaced.ContainsKey(m))) continue;
            replaced[chain.Last] = chain.Fused;
            foreach (int member in chain.Members)
                if (member != chain.Last) removed.Add(member);
            done.Add(chain.Text);
        }
        if (replaced.Count == 0) return null;
        context.ReplaceOps(replaced, removed);
        int gradients = replaced.Values.Count(op => op.Op is ReluBackwardRows), folds = replaced.Values.Count(op => op.Op is MatMulFold);
        int matmuls = replaced.Count - gradients - folds;
        return string.Join("; ", new[]
        {
            matmuls == 0 ? "" : $"fused {matmuls} matmul(s) with their epilogue: {string.Join(", ", done.Where(t => !t.Contains("rows") && !t.Contains("fold")))}",
            folds == 0 ? "" : $"folded {folds} conv input gradient(s) per image after their GEMM",
            gradients == 0 ? "" : $"masked {gradients} relu gradient(s) straight into conv gradient rows",
        }.Where(t => t.Length > 0));
    }

    sealed record Found(int Last, List<int> Members, GraphOp Fused, string Text);

    /// <summary>The chain that starts at the MatMul <paramref name="k"/>, or null when there is none to fuse.</summary>
    static Found? Chain(int k, List<GraphOp> ops, PassContext context, StorageClasses storage, List<int>?[] readers,
        int[] producer, int[] barrier)
    {
        var values = context.Graph.Values;
        var matmul = ops[k];
        if (!Pure(matmul) || matmul.Op is not MatMul || matmul.Outputs.Length != 1) return null;
        var product = values[matmul.Outputs[0]];
        if (product.Shape.Rank != 2 || product.DType is not (DType.Float32 or DType.Float64) || product.Device != Device.Cpu) return null;
        int n = product.Shape[1];
        bool untracked = RecordsNoNode(matmul);

        // The bias add: add(product, expand(s)) or add(expand(s), product), s of shape [1, n].
        if (Next(matmul, ops, context, storage, readers, untracked) is not { } addIndex || ops[addIndex].Op is not Add) return null;
        var add = ops[addIndex];
        bool biasFirst = add.Inputs[1] == matmul.Outputs[0];
        int broadcast = add.Inputs[biasFirst ? 0 : 1];
        if (broadcast == matmul.Outputs[0]) return null;
        var members = new List<int> { k, addIndex };
        int bias = broadcast;
        int expand = producer[broadcast];
        // The broadcast view goes with the add. A view made with grad mode off can still report requires-grad (it views a
        // parameter), but no gradient flows through it then. Its source may be written elsewhere (a parameter an optimizer
        // updates): the fused op reads the source where the add read the view, and no write may sit between (Fusible).
        if (expand >= 0 && Pure(ops[expand]) && ops[expand].Op is Expand && readers[broadcast]!.Count == 1 && !context.IsOutput[broadcast]
            && (!context.RequiresGrad[broadcast] || !ops[expand].GradEnabled || untracked && RecordsNoNode(ops[expand])))
        {
            bias = ops[expand].Inputs[0];
            members.Add(expand);
        }
        var biasValue = values[bias];
        if (biasValue.Shape.Rank != 2 || biasValue.Shape[0] != 1 || biasValue.Shape[1] != n || biasValue.DType != product.DType) return null;

        var activation = EpilogueActivation.None;
        var residual = EpilogueResidual.None;
        var last = add;
        int lastIndex = addIndex;
        if (Next(last, ops, context, storage, readers, untracked) is { } actIndex && Activations.TryGetValue(ops[actIndex].Op!.GetType(), out var act))
        {
            (activation, last, lastIndex) = (act, ops[actIndex], actIndex);
            members.Add(actIndex);
        }
        int? residualInput = null;
        if (Next(last, ops, context, storage, readers, untracked) is { } resIndex && ops[resIndex].Op is Add)
        {
            var resAdd = ops[resIndex];
            bool before = resAdd.Inputs[1] == last.Outputs[0];
            int other = resAdd.Inputs[before ? 0 : 1];
            var r = values[other];
            if (other != last.Outputs[0] && r.Shape.Equals(product.Shape) && r.DType == product.DType && r.Device == Device.Cpu)
            {
                (residual, last, lastIndex, residualInput) = (before ? EpilogueResidual.Before : EpilogueResidual.After, resAdd, resIndex, other);
                members.Add(resIndex);
            }
        }

        int[] inputs = residualInput is { } res ? [matmul.Inputs[0], matmul.Inputs[1], bias, res] : [matmul.Inputs[0], matmul.Inputs[1], bias];
        if (!Fusible(members, lastIndex, inputs, ops, context, storage, barrier, untracked) || values[last.Outputs[0]].Shape.Rank != 2) return null;
        var fused = last.ReadingFrom(inputs, new MatMulEpilogue(biasFirst, activation, residual, IsWeight(matmul.Inputs[1], ops, context, storage, producer)));
        string text = "[matmul bias" + (activation == EpilogueActivation.None ? "" : " " + activation.ToString().ToLowerInvariant())
            + (residual == EpilogueResidual.None ? "" : " residual") + "]";
        return new Found(lastIndex, members, fused, text);
    }

    /// <summary>
    /// Whether the chain <paramref name="members"/> (sorted here) may become one op at <paramref name="lastIndex"/>: no write
    /// between its ops, its result neither written nor (unless <paramref name="untracked"/>) requiring grad, and gradients
    /// unable to flow through it in a replay (grad mode off for every op, or <paramref name="untracked"/>: no op of it
    /// records a node), else no input requiring grad.
    /// </summary>
    static bool Fusible(List<int> members, int lastIndex, int[] inputs, List<GraphOp> ops, PassContext context, StorageClasses storage,
        int[] barrier, bool untracked)
    {
        members.Sort();
        if (barrier[members[0]] != barrier[lastIndex]) return false;
        int result = ops[lastIndex].Outputs[0];
        if ((context.RequiresGrad[result] && !untracked) || storage.Written(result)) return false;
        // One grad mode for the chain: the fused op replays in the last op's.
        if (members.Any(m => ops[m].GradEnabled != ops[lastIndex].GradEnabled)) return false;
        bool gradOff = !ops[lastIndex].GradEnabled;
        return gradOff || untracked || !inputs.Any(id => context.RequiresGrad[id]);
    }

    /// <summary>
    /// The only op reading <paramref name="op"/>'s single output, when that output may become internal; else null. With
    /// <paramref name="untracked"/> the output may require grad, and the reader must record no node either.
    /// </summary>
    static int? Next(GraphOp op, List<GraphOp> ops, PassContext context, StorageClasses storage, List<int>?[] readers, bool untracked)
    {
        if (op.Outputs.Length != 1 || op.Outputs[0] < 0) return null;
        int id = op.Outputs[0];
        bool free = context.Free(id, storage) || untracked && !context.IsOutput[id] && !storage.Written(id);
        if (!free || readers[id] is not [int reader]) return null;
        var next = ops[reader];
        if (!Pure(next) || next.Outputs.Length != 1 || next.Outputs[0] < 0 || untracked && !RecordsNoNode(next)) return null;
        return reader;
    }

    /// <summary>
    /// Whether a replay records no autodiff node for <paramref name="op"/>: it ran with grad mode off, or
    /// <see cref="RecordingPlan"/> found that its result reaches no caller's autodiff (a replay runs it under no-grad).
    /// </summary>
    static bool RecordsNoNode(GraphOp op) => !op.GradEnabled || !op.RecordsForCaller;

    /// <summary>Whether <paramref name="id"/> is a capture (a layer's weight), or a view op's result on one, that the graph never writes.</summary>
    static bool IsWeight(int id, List<GraphOp> ops, PassContext context, StorageClasses storage, int[] producer)
    {
        while (producer[id] >= 0 && Pure(ops[producer[id]]) && ops[producer[id]].Op is Permute or Reshape && ops[producer[id]].Inputs.Length == 1)
            id = ops[producer[id]].Inputs[0];
        return producer[id] < 0 && !storage.Written(id) && context.Graph.Captures.Any(c => c.Id == id);
    }

    static bool Pure(GraphOp op) => op.Kind == GraphOpKind.Call && PassContext.IsPureCall(op);
}
