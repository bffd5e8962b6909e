namespace Nabla.Engine;

/// <summary>
/// Tensors a backward rule will read, with their versions when they were saved (graph nodes save an op's
/// inputs or output; custom functions save what <c>ctx.SaveForBackward</c> was given). Reading them back
/// checks the versions, so a value changed in place in between is an error naming the op and the change,
/// never a silently wrong gradient. The "backward a second time" error lives here too.
/// </summary>
internal sealed class SavedTensors
{
    readonly Tensor[] _values;
    readonly int[] _versions;

    /// <summary>Saves <paramref name="values"/> (the array is kept, not copied).</summary>
    public SavedTensors(Tensor[] values)
    {
        _values = values;
        _versions = new int[values.Length];
        for (int i = 0; i < values.Length; i++) _versions[i] = values[i].Version.Value;
    }

    /// <summary>
    /// The saved tensors after checking none changed; <paramref name="kind"/> names them in the error
    /// ("input", "output", "saved tensor"), <paramref name="forwardSite"/> says where the op was called.
    /// </summary>
    public Tensor[] Unpack(string node, string op, string kind, string? forwardSite = null)
    {
        for (int i = 0; i < _values.Length; i++)
        {
            var t = _values[i];
            if (t.Version.Value == _versions[i]) continue;
            string which = _values.Length == 1 && kind == "output" ? kind : $"{kind} {i}";
            throw new InvalidOperationException(
                $"{node}: one of the tensors needed for gradient computation ({which} of '{op}', {Errors.Describe(t)}) " +
                $"has been modified by an in-place operation ({t.Version.LastMutation ?? "unknown op"}) after '{op}' saved it " +
                $"(version {_versions[i]}, now {t.Version.Value})" + (forwardSite is null ? "" : $"; '{op}' was called at {forwardSite}") +
                ". Clone the tensor before changing it, or change it out of place.");
        }
        return _values;
    }

    /// <summary>The error for a node whose saved values were freed by an earlier backward.</summary>
    public static InvalidOperationException Freed(string node) =>
        new($"{node}: trying to backward through the graph a second time (or to use its results after they were freed). " +
            "The values this op saved were released after the first backward. Pass retainGraph: true to the first " +
            "Backward/Autograd.Grad call if you need to go through the graph again, or call Detach() on state you carry " +
            "between steps (e.g. an RNN's hidden state).");
}
