namespace Nabla.Engine;

/// <summary>Answers "why is this gradient null?" for error messages and <c>GradientTape.ExplainNullGradient</c>.</summary>
internal static class Explain
{
    public static string WhyUnconnected(IReadOnlyList<Tensor> roots, Tensor input, TapeRecord? tape)
    {
        if (!input.DType.IsFloating())
            return $"it has dtype {input.DType.TorchName()}, and only floating tensors have gradients (convert it with To(DType.Float32) before using it)";
        if (tape is not null && !tape.Tracks(input))
            return "the tape does not watch it (call tape.Watch(x) inside the tape's scope, or make it a trainable Variable and use it inside the scope)";
        if (tape is null && !input.RequiresGrad)
            return "it does not require grad";

        var cuts = new List<string>();
        foreach (var root in roots)
            if (root.Cut is { } rc && !cuts.Contains(rc.Reason)) cuts.Add(rc.Reason);
        bool reachable = WalkWholeGraph(roots, input.ExistingGradEdge, cuts);
        if (reachable && tape is not null)
            return "it is connected to the target only through ops recorded outside this tape (before the tape started, " +
                   "after it was disposed, or under StopRecording())";
        if (cuts.Count > 0)
            return $"no path leads from the output back to it; the graph was cut at: {string.Join("; ", cuts)}";
        return "the output does not depend on it (or only through ops that have no gradient, such as comparisons or ArgMax)";
    }

    /// <summary>Walks every recorded node from the roots (ignoring tapes); collects cut points on the way.</summary>
    static bool WalkWholeGraph(IReadOnlyList<Tensor> roots, GradNode? target, List<string> cuts)
    {
        var seen = new HashSet<GradNode>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<GradNode>();
        foreach (var r in roots)
            if (r.GradFn is { } n && seen.Add(n)) stack.Push(n);
        bool found = false;
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (ReferenceEquals(node, target)) found = true;
            if (node is OpNode { CutBelow: { } cut } && !cuts.Contains(cut.Reason)) cuts.Add(cut.Reason);
            foreach (var next in node.Next)
                if (next is not null && seen.Add(next)) stack.Push(next);
        }
        return found;
    }
}
