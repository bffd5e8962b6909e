using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Nabla.Graphs.Passes;

/// <summary>
/// Computes once two ops of the same primitive, with equal parameters (compared field by field through
/// <see cref="PrimitiveCodec"/>, so -0.0 and 0.0 differ) and the same inputs: later reads of the second op's results
/// read the first's. Only pure primitive calls and fills (never random draws, never ops rebuilt from C# state), never
/// across a write or a control-flow or custom op (their inputs may have changed), and only for results that do not
/// require grad (one node instead of two would sum the caller's gradients in another order), that nothing writes,
/// and that the second op does not return (the caller gets tensors of its own).
/// </summary>
/// <example>
/// <code>
/// before:  %1 = exp(%0) ; %2 = exp(%0) ; %3 = add(%1, %2)
/// after:   %1 = exp(%0) ; %3 = add(%1, %1)
/// </code>
/// </example>
internal sealed class CommonSubexpressionElimination : GraphPass
{
    public override GraphPasses Flag => GraphPasses.CommonSubexpressions;
    public override string Name => "cse";

    public override string? Run(PassContext context)
    {
        // A call with a tape open runs the graph as traced, which exists at the traced sizes only: a graph serving other
        // sizes keeps equal ops apart, so a tape's gradients are summed in eager code's order at every size.
        if (context.DynamicDims) return null;
        var graph = context.Graph;
        var storage = context.Storage();
        var seen = new Dictionary<string, GraphOp>(graph.Ops.Count, StringComparer.Ordinal);   // sized once: no rehash of every key as it grows
        var replaced = new Dictionary<int, int>();
        var kept = new List<GraphOp>(graph.Ops.Count);
        var buffer = new ArrayBufferWriter<byte>(256);
        using var json = new Utf8JsonWriter(buffer);
        foreach (var traced in graph.Ops)
        {
            var op = PassContext.Rewired(traced.Inputs, replaced) is { } inputs ? traced.ReadingFrom(inputs) : traced;
            if (op.Kind is GraphOpKind.Write or GraphOpKind.ControlFlow or GraphOpKind.Custom) seen.Clear();
            if (!Mergeable(op, context, storage) || Key(op, buffer, json) is not { } key)
            {
                kept.Add(op);
                continue;
            }
            if (seen.TryGetValue(key, out var first) && !op.Outputs.Any(id => context.IsOutput[id]))
            {
                for (int i = 0; i < op.Outputs.Length; i++) replaced[op.Outputs[i]] = first.Outputs[i];
                continue;
            }
            seen.TryAdd(key, op);
            kept.Add(op);
        }
        if (replaced.Count == 0) return null;
        graph.Ops.Clear();
        graph.Ops.AddRange(kept);
        return $"merged {replaced.Count} value(s)";
    }

    static bool Mergeable(GraphOp op, PassContext context, StorageClasses storage)
    {
        if (!PassContext.IsPureCall(op) || PrimitiveCodec.WhyUnsavable(op.Op!.GetType()) is not null) return false;
        foreach (int id in op.Outputs)
            if (id < 0 || context.RequiresGrad[id] || storage.Written(id)) return false;
        return true;
    }

    /// <summary>What makes two ops the same computation: kind, device, the primitive's type and fields, the inputs.</summary>
    /// <remarks>Written with <paramref name="json"/> into <paramref name="buffer"/>, both reused for every op of the graph.</remarks>
    static string? Key(GraphOp op, ArrayBufferWriter<byte> buffer, Utf8JsonWriter json)
    {
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        json.WriteStartArray();
        json.WriteNumberValue((int)op.Kind);   // NB: not the kind's name, Enum.ToString makes a string per op
        json.WriteStringValue(op.Kind == GraphOpKind.Create ? op.Device.ToString() : "");
        foreach (int id in op.Inputs) json.WriteNumberValue(id);
        PrimitiveCodec.Write(json, op.Op!, "common subexpressions");
        json.WriteEndArray();
        json.Flush();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
