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
}
