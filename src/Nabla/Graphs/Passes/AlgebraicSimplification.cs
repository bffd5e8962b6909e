using Nabla.Primitives;
using Nabla.Primitives.Creation;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Movement;

namespace Nabla.Graphs.Passes;

/// <summary>
/// Removes ops whose result is exactly their input: <c>x*1</c>, <c>1*x</c>, <c>x/1</c>, <c>x-0</c>, <c>x+(-0.0)</c> (a fill,
/// possibly broadcast; for integers any zero), a permute that undoes the permute before it, an expand or a reshape to the
/// input's own shape; and turns a reshape of a reshape into one reshape. <c>x+0.0</c> stays: it turns -0.0 into +0.0.
/// A result is replaced by the input only when both have one layout (contiguous, or the same view), neither requires
/// grad, nothing writes either, and the result is not returned (the caller gets tensors of its own).
/// </summary>
/// <example>
/// <code>
/// before:  %1 = full() ; %2 = expand(%1) ; %3 = mul(%0, %2) ; %4 = exp(%3)
/// after:   %4 = exp(%0)          (after dead code elimination)
/// </code>
/// </example>
internal sealed class AlgebraicSimplification : GraphPass
{
    public override GraphPasses Flag => GraphPasses.AlgebraicSimplification;
    public override string Name => "simplify";

    public override string? Run(PassContext context)
    {
        var graph = context.Graph;
        var storage = context.Storage();
        var made = context.Producers();
        var replaced = new Dictionary<int, int>();
        int rewritten = 0;
        for (int k = 0; k < graph.Ops.Count; k++)
        {
            var op = graph.Ops[k];
            if (PassContext.Rewired(op.Inputs, replaced) is { } inputs)
            {
                graph.Ops[k] = op = op.ReadingFrom(inputs);
                // NB: the rules below read producers' inputs (a reshape chain's source): a rewired op is its outputs' producer now.
                foreach (int o in op.Outputs) made[o] = op;
            }
            if (op.Kind != GraphOpKind.Call || !PassContext.IsPureCall(op) || op.Outputs.Length != 1) continue;
            int y = op.Outputs[0];
            if (!context.Free(y, storage)) continue;
            if (Identity(op, context, made) is { } x && !context.RequiresGrad[x] && !storage.Written(x))
            {
                replaced[y] = x;
                graph.Ops.RemoveAt(k--);
            }
            else if (op.Op is Reshape outer && Producer(made, op.Inputs[0]) is { Op: Reshape } inner && context.Contiguous[inner.Inputs[0]]
                     && !context.RequiresGrad[inner.Inputs[0]])
            {
                // Both read a contiguous tensor, so both are views of it: one reshape gives the same view, and a
                // reshape back to its own shape gives the tensor itself.
                int source = inner.Inputs[0];
                if (graph.Values[source].Shape.Span.SequenceEqual(outer.OutputShape) && !storage.Written(source))
                {
                    replaced[y] = source;
                    graph.Ops.RemoveAt(k--);
                    continue;
                }
                graph.Ops[k] = op.ReadingFrom([source], new Reshape(graph.Values[source].Shape.ToArray(), outer.OutputShape));
                made[y] = graph.Ops[k];
                rewritten++;
            }
        }
        return replaced.Count + rewritten == 0 ? null : $"removed {replaced.Count} op(s)" + (rewritten > 0 ? $", merged {rewritten} reshape chain(s)" : "");
    }

    /// <summary>The value <paramref name="op"/>'s result equals bit for bit, with the same layout, or null.</summary>
    static int? Identity(GraphOp op, PassContext context, GraphOp?[] made)
    {
        var values = context.Graph.Values;
        int y = op.Outputs[0];
        bool SameAsResult(int x) => values[x].Shape.Equals(values[y].Shape) && values[x].DType == values[y].DType
            && values[x].Device.Equals(values[y].Device);
        bool Contiguous(int x) => SameAsResult(x) && context.Contiguous[x] && context.Contiguous[y];
        switch (op.Op)
        {
            case Mul when Uniform(op.Inputs[1], made) is 1.0 && Contiguous(op.Inputs[0]): return op.Inputs[0];
            case Mul when Uniform(op.Inputs[0], made) is 1.0 && Contiguous(op.Inputs[1]): return op.Inputs[1];
            case Div when Uniform(op.Inputs[1], made) is 1.0 && Contiguous(op.Inputs[0]): return op.Inputs[0];
            case Sub when IsZero(op.Inputs[1], made, values, negative: false) && Contiguous(op.Inputs[0]): return op.Inputs[0];
            case Add when IsZero(op.Inputs[1], made, values, negative: true) && Contiguous(op.Inputs[0]): return op.Inputs[0];
            case Add when IsZero(op.Inputs[0], made, values, negative: true) && Contiguous(op.Inputs[1]): return op.Inputs[1];
            // A view with the input's own shape and strides (expand keeps the strides of the dims it does not broadcast).
            case Expand expand when expand.InputShape.AsSpan().SequenceEqual(expand.OutputShape) && SameAsResult(op.Inputs[0]): return op.Inputs[0];
            // Reshape to the same shape is Contiguous(): the input itself only when it is contiguous.
            case Reshape when Contiguous(op.Inputs[0]): return op.Inputs[0];
            case Permute outer when Producer(made, op.Inputs[0]) is { Op: Permute inner } first && Cancel(inner.Dims, outer.Dims)
                && SameAsResult(first.Inputs[0]) && !context.RequiresGrad[op.Inputs[0]]:
                return first.Inputs[0];
            default: return null;
        }
    }

    /// <summary>Whether two permutes in a row give back the original order.</summary>
    static bool Cancel(int[] first, int[] second)
    {
        if (first.Length != second.Length) return false;
        for (int i = 0; i < second.Length; i++)
            if (first[second[i]] != i) return false;
        return true;
    }

    /// <summary>The value every element of <paramref name="id"/> holds when it is a fill (seen through expands and reshapes), else null.</summary>
    static double? Uniform(int id, GraphOp?[] made)
    {
        var op = Producer(made, id);
        while (op is { Kind: GraphOpKind.Call, Op: Expand or Reshape } && PassContext.IsPureCall(op)) op = Producer(made, op.Inputs[0]);
        return op is { Kind: GraphOpKind.Create, Op: Full full } && PassContext.IsPureCall(op) ? full.Value : null;
    }

    /// <summary>
    /// Whether <paramref name="id"/> is a fill of zeros that adding (<paramref name="negative"/>: -0.0) or subtracting
    /// (+0.0) leaves every value as it is; for integers any zero.
    /// </summary>
    static bool IsZero(int id, GraphOp?[] made, List<GraphValue> values, bool negative) =>
        Uniform(id, made) is { } v && v == 0 && (!values[id].DType.IsFloating() || double.IsNegative(v) == negative);

    static GraphOp? Producer(GraphOp?[] made, int id) => made[id] is { } op && op.Outputs.Contains(id) ? op : null;
}
