namespace Nabla.Engine;

/// <summary>Answers "why is this gradient null?" for error messages and <c>GradientTape.ExplainNullGradient</c>.</summary>
internal static class Explain
{
    /// <summary>Why <paramref name="input"/> gets no gradient from <paramref name="roots"/> (with a tape: through that tape's records).</summary>
    public static string WhyUnconnected(IReadOnlyList<Tensor> roots, Tensor input, TapeRecord? tape)
    {
        if (!input.DType.IsFloating()) return DTypeReason(input);
        if (tape is not null && !tape.Tracks(input))
            return "it is not watched by this tape (call tape.Watch(x) inside the tape's scope, or use a trainable Variable " +
                   "inside the scope: those are watched automatically unless watchAccessedVariables: false)";
        if (tape is null && !input.RequiresGrad) return WhyNoGradient(input);

        string output = tape is null ? "output" : "target";
        var cuts = new List<string>();
        foreach (var root in roots)
            if (root.Cut is { } rc && !cuts.Contains(rc.Reason)) cuts.Add(rc.Reason);
        bool reachable = WalkWholeGraph(roots, input.ExistingGradEdge, cuts);
        if (reachable && tape is not null)
            return "it is connected to the target only through ops recorded outside this tape (before the tape started, " +
                   "after it was disposed, or under StopRecording())";
        if (cuts.Count > 0)
            return $"no recorded path leads from the {output} back to it; the graph behind the {output} is cut at: {string.Join("; ", cuts)}";
        return $"the {output} does not depend on it (or only through ops that have no gradient)";
    }

    /// <summary>Why a tensor that does not require grad can't be asked for a gradient (PyTorch front end).</summary>
    public static string WhyNoGradient(Tensor input)
    {
        if (!input.DType.IsFloating()) return DTypeReason(input);
        if (input.Cut is { } cut)
            return $"it was cut from the graph ({cut.Reason}); take the gradient with respect to the tensor it was computed from";
        return "it is a leaf that does not require grad (create it with requiresGrad: true or set RequiresGrad = true before using it)";
    }

    static string DTypeReason(Tensor input)
    {
        var kind = input.DType == DType.Bool ? "a boolean dtype" : "an integer dtype";
        return $"it has {kind} ({input.DType.TorchName()}), and only floating-point tensors have gradients " +
               "(convert it with To(DType.Float32) or To(DType.Float64) before the computation and differentiate with respect to that)";
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
