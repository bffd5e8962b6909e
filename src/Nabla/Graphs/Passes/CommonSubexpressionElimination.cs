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
        var graph = context.Graph;
        var storage = context.Storage();
        // Two ops can merge only when their primitive types and inputs are equal: ops are first grouped by that, which costs
        // a hash of a few ids, and the full key (every field of the primitive, written as text) is made only for an op that
        // meets an earlier one of its group. In a chain no two ops read the same values, and no key is written at all.
        var groups = new Dictionary<Candidate, List<Seen>>(graph.Ops.Count);   // sized once: no rehash as it grows
        var replaced = new Dictionary<int, int>();
        var kept = new List<GraphOp>(graph.Ops.Count);
        KeyWriter? keys = null;
        foreach (var traced in graph.Ops)
        {
            var op = PassContext.Rewired(traced.Inputs, replaced) is { } inputs ? traced.ReadingFrom(inputs) : traced;
            if (op.Kind is GraphOpKind.Write or GraphOpKind.ControlFlow or GraphOpKind.Custom) groups.Clear();
            if (!Mergeable(op, context, storage))
            {
                kept.Add(op);
                continue;
            }
            var candidate = new Candidate(op);
            if (!groups.TryGetValue(candidate, out var group))
            {
                groups.Add(candidate, [new Seen(op)]);
                kept.Add(op);
                continue;
            }
            keys ??= new KeyWriter();
            string key = keys.Of(op);
            if (group.FindIndex(s => (s.Key ??= keys.Of(s.Op)) == key) is var at and >= 0)
            {
                if (!op.Outputs.Any(id => context.IsOutput[id]))
                {
                    var first = group[at].Op;
                    for (int i = 0; i < op.Outputs.Length; i++) replaced[op.Outputs[i]] = first.Outputs[i];
                    continue;
                }
            }
            else group.Add(new Seen(op) { Key = key });
            kept.Add(op);
        }
        keys?.Dispose();
        if (replaced.Count == 0) return null;
        graph.Ops.Clear();
        graph.Ops.AddRange(kept);
        return $"merged {replaced.Count} value(s)";
    }

    static bool Mergeable(GraphOp op, PassContext context, StorageClasses storage)
    {
        if (!PassContext.IsPureCall(op) || PrimitiveCodec.WhyUnsavable(op.Op!.GetType()) is not null) return false;
        // With dynamic dims, equal at the traced sizes must mean equal at every size: the same inputs, and parameters that
        // hold no size or are rebuilt from those inputs' shapes. Fills and reshape and expand targets are rebuilt from sizes
        // the shape rules explain by the values around them, which a merge would change; they stay apart.
        if (context.DynamicDims && (op.Kind == GraphOpKind.Create || op.Op is Primitives.Movement.Reshape or Primitives.Movement.Expand)) return false;
        foreach (int id in op.Outputs)
            if (id < 0 || context.RequiresGrad[id] || storage.Written(id)) return false;
        return true;
    }

    /// <summary>What two ops that may merge must share, cheap to hash: the primitive's type, the op's kind and its inputs.</summary>
    readonly struct Candidate(GraphOp op) : IEquatable<Candidate>
    {
        readonly GraphOp _op = op;

        public bool Equals(Candidate other) => _op.Op!.GetType() == other._op.Op!.GetType() && _op.Kind == other._op.Kind
            && _op.Inputs.AsSpan().SequenceEqual(other._op.Inputs);

        public override bool Equals(object? obj) => obj is Candidate other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(_op.Op!.GetType());
            hash.Add(_op.Kind);
            foreach (int id in _op.Inputs) hash.Add(id);
            return hash.ToHashCode();
        }
    }

    /// <summary>An op kept so far, and its full key once one was needed.</summary>
    sealed class Seen(GraphOp op)
    {
        public GraphOp Op { get; } = op;
        public string? Key;
    }

    /// <summary>
    /// What makes two ops the same computation: kind, device, the primitive's type and fields, the inputs; one JSON
    /// writer and buffer reused for every key of a graph.
    /// </summary>
    sealed class KeyWriter : IDisposable
    {
        readonly ArrayBufferWriter<byte> _buffer = new(256);
        readonly Utf8JsonWriter _json;

        public KeyWriter() => _json = new Utf8JsonWriter(_buffer);

        public string Of(GraphOp op)
        {
            _buffer.ResetWrittenCount();
            _json.Reset(_buffer);
            _json.WriteStartArray();
            _json.WriteNumberValue((int)op.Kind);   // NB: not the kind's name, Enum.ToString makes a string per op
            _json.WriteStringValue(op.Kind == GraphOpKind.Create ? op.Device.ToString() : "");
            foreach (int id in op.Inputs) _json.WriteNumberValue(id);
            PrimitiveCodec.Write(_json, op.Op!, "common subexpressions");
            _json.WriteEndArray();
            _json.Flush();
            return Encoding.UTF8.GetString(_buffer.WrittenSpan);
        }

        public void Dispose() => _json.Dispose();
    }
}
