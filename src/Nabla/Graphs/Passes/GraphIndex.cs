namespace Nabla.Graphs.Passes;

/// <summary>
/// Who reads and who makes each value of a graph, and where its effects sit, as the fusion passes need them: built once
/// per pass run (the ops a pass replaces are looked up by the indices of the graph it started from).
/// </summary>
internal sealed class GraphIndex
{
    /// <summary>Per value id: the index of each op reading it, once per read (an op reading it twice is listed twice).</summary>
    public readonly List<int>?[] Readers;

    /// <summary>Per value id: the index of the op making it, -1 for parameters, captures and constants.</summary>
    public readonly int[] Producer;

    /// <summary>
    /// Per op index k: how many writes, control-flow ops and custom ops come before op k. Two ops with the same count have
    /// no effect between them, so a group may move reads across the ops between them.
    /// </summary>
    public readonly int[] Barrier;

    public GraphIndex(TracedGraph graph)
    {
        var ops = graph.Ops;
        Readers = new List<int>?[graph.Values.Count];
        Producer = new int[graph.Values.Count];
        Array.Fill(Producer, -1);
        Barrier = new int[ops.Count + 1];
        for (int k = 0; k < ops.Count; k++)
        {
            foreach (int id in ops[k].Inputs)
                if (id >= 0) (Readers[id] ??= []).Add(k);
            foreach (int id in ops[k].Outputs)
                if (id >= 0) Producer[id] = k;
            Barrier[k + 1] = Barrier[k] + (ops[k].Kind is GraphOpKind.Write or GraphOpKind.ControlFlow or GraphOpKind.Custom ? 1 : 0);
        }
    }

    /// <summary>
    /// The group that ends at op <paramref name="last"/> (marked with <paramref name="last"/> in
    /// <paramref name="group"/>), in program order: the producer of a value joins once every reader of that value is a
    /// member and <paramref name="mayJoin"/>(producer, value id) says it may, up to <paramref name="maxMembers"/>.
    /// </summary>
    /// <remarks>
    /// A worklist: each member's inputs are looked at when it joins. Whether a producer may join only grows with the group
    /// (its value's readers must all be members; <paramref name="mayJoin"/> is fixed), so a value turned down because a
    /// reader was still outside is looked at again when that reader joins, and the group ends as the same closure a
    /// rescan of all members until nothing grows finds, in time linear in the group's reads instead of quadratic along a
    /// chain. Reads by members are counted per value (an op reading it twice counts twice, as <see cref="Readers"/> lists it).
    /// </remarks>
    public List<int> Grow(List<GraphOp> ops, int last, int[] group, Func<int, int, bool> mayJoin, int maxMembers = int.MaxValue)
    {
        var members = new List<int> { last };
        group[last] = last;
        var readsInGroup = new Dictionary<int, int>();
        var pending = new Stack<int>();
        pending.Push(last);
        while (pending.Count > 0)
        {
            foreach (int id in ops[pending.Pop()].Inputs)
            {
                int read = readsInGroup[id] = readsInGroup.GetValueOrDefault(id) + 1;
                int p = Producer[id];
                if (p < 0 || group[p] >= 0 || read < Readers[id]!.Count || Barrier[last] != Barrier[p]) continue;
                if (members.Count == maxMembers || !mayJoin(p, id)) continue;
                group[p] = last;
                members.Add(p);
                pending.Push(p);
            }
        }
        members.Sort();
        return members;
    }
}
