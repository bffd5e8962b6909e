using Nabla.Primitives;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Movement;

namespace Nabla.Graphs.Partition;

/// <summary>
/// Decides, for a joint graph, which forward values the backward keeps and which it recomputes from kept ones
/// (the role of AOTAutograd's partitioner), and rewrites the backward to recompute them: the forward then drops
/// those values at once (a replay writes them into its kept buffers), and a call holds fewer bytes until its
/// backward runs.
/// </summary>
/// <remarks>
/// A greedy rule, not a min-cut: a kept value made by a cheap op (elementwise, or a reshape, permute, expand or
/// slice) is recomputed when the bytes it adds to the kept set (its inputs not kept already) are fewer than its
/// own; the rule runs until nothing changes, so a chain of cheap ops folds back onto the values it starts from.
/// Values the call holds anyway cost nothing to keep: the arguments (the node keeps them), captures (the graph
/// holds them) and outputs. Matmuls, convolutions, reductions, random draws and anything else are always kept.
/// A recomputation runs the same kernel on the same inputs as the forward did, so gradients keep their bits;
/// an argument or capture the backward now reads is version-checked as every kept value is (as AOTAutograd keeps
/// primals), so writing into one between the call and its backward is an error.
/// </remarks>
internal static class RecomputePartition
{
    /// <summary>What the partition did: kept values and bytes before and after, and how many values the backward recomputes.</summary>
    public sealed record Summary(int KeptBefore, long BytesBefore, int KeptAfter, long BytesAfter, int Recomputed)
    {
        /// <summary>The Explain line's text: "keeps 3 values (192 B) of 66 (4.1 KB); recomputes 33".</summary>
        public override string ToString() =>
            $"keeps {KeptAfter} values ({Bytes(BytesAfter)}) of {KeptBefore} ({Bytes(BytesBefore)}); recomputes {Recomputed}";

        static string Bytes(long b) => b < 1024 ? $"{b} B" : b < 1 << 20 ? $"{b / 1024.0:0.#} KB" : $"{b / 1048576.0:0.#} MB";
    }

    /// <summary>
    /// Rewrites <paramref name="backward"/> (parameters: <paramref name="cotangents"/> cotangents, then the forward values
    /// of <paramref name="saved"/>) to recompute what the rule chooses, and updates <paramref name="saved"/> to what the
    /// forward must now keep. Null when it keeps everything as it was.
    /// </summary>
    public static Summary? Apply(TracedGraph forward, TracedGraph backward, int cotangents, List<int> saved)
    {
        var producers = new Dictionary<int, (GraphOp Op, int Index)>();
        for (int i = 0; i < forward.Ops.Count; i++)
            if (forward.Ops[i] is { Kind: GraphOpKind.Call, Outputs.Length: 1 } op) producers[op.Outputs[0]] = (op, i);
        var held = new HashSet<int>(forward.Parameters);
        held.UnionWith(forward.Captures.Select(c => c.Id));
        held.UnionWith(forward.Outputs);

        long BytesOf(int id) => held.Contains(id) ? 0 : (long)forward.Values[id].Shape.NumElements * forward.Values[id].DType.ElementSize();
        var kept = new HashSet<int>(saved);
        var recomputed = new HashSet<int>();
        long bytesBefore = kept.Sum(BytesOf);
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (int id in kept.Order().ToArray())
            {
                if (held.Contains(id) || !producers.TryGetValue(id, out var p) || !Cheap(p.Op)) continue;
                var inputs = p.Op.Inputs.Distinct().Where(i => !recomputed.Contains(i)).ToArray();
                if (inputs.Where(i => !kept.Contains(i)).Sum(BytesOf) >= BytesOf(id)) continue;
                kept.Remove(id);
                recomputed.Add(id);
                kept.UnionWith(inputs);
                changed = true;
            }
        }
        if (recomputed.Count == 0) return null;

        // Forward id -> backward value id: the saved parameters the backward has, new parameters, recomputed values.
        var valueOf = new Dictionary<int, int>();
        for (int i = 0; i < saved.Count; i++) valueOf[saved[i]] = backward.Parameters[cotangents + i];
        int ValueFor(int id)
        {
            if (valueOf.TryGetValue(id, out int v)) return v;
            var f = forward.Values[id];
            backward.Values.Add(new GraphValue(backward.Values.Count, f.Shape, f.DType, f.Device));
            return valueOf[id] = backward.Values.Count - 1;
        }
        var newSaved = saved.Where(kept.Contains).Concat(kept.Except(saved).Order()).ToList();
        foreach (int id in newSaved) ValueFor(id);
        var ops = new List<GraphOp>();
        foreach (int id in recomputed.OrderBy(id => producers[id].Index))
        {
            var op = producers[id].Op;
            ops.Add(new GraphOp
            {
                Kind = GraphOpKind.Call, Op = op.Op, Inputs = [.. op.Inputs.Select(ValueFor)], Outputs = [ValueFor(id)],
                SiteSource = op.SiteSource, GradEnabled = op.GradEnabled,
            });
        }
        backward.Ops.InsertRange(0, ops);
        backward.Parameters.RemoveRange(cotangents, saved.Count);
        backward.ParameterNames.RemoveRange(cotangents, saved.Count);
        foreach (int id in newSaved)
        {
            backward.Parameters.Add(valueOf[id]);
            backward.ParameterNames.Add($"saved%{id}");
        }
        var summary = new Summary(saved.Count, bytesBefore, newSaved.Count, newSaved.Sum(BytesOf), recomputed.Count);
        saved.Clear();
        saved.AddRange(newSaved);
        return summary;
    }

    /// <summary>Ops cheap enough to run again in the backward: elementwise maths and views (never a matmul, a reduction or a draw).</summary>
    static bool Cheap(GraphOp op) => op.DrawSource is null && op.Rebuild is null && op.Op is ElementwiseUnary or ElementwiseBinary or Cast or Compare
        or Relu or ReluBackward or TanhBackward or Where or FusedElementwise or Reshape or Permute or Expand or Slice;
}
