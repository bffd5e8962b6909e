namespace Nabla.Engine;

/// <summary>
/// Tensors a backward rule will read, with their versions when they were saved: an op's inputs (an array)
/// or its output (one tensor) for a graph node, what <c>ctx.SaveForBackward</c> was given for a custom
/// function. Reading them back checks the versions, so a value changed in place in between is an error
/// naming the op and the change, never a silently wrong gradient. The "backward a second time" error lives
/// here too. A struct, so saving costs no allocation beyond the versions array.
/// </summary>
internal readonly struct SavedTensors
{
    readonly Tensor[]? _values;
    readonly int[]? _versions;
    readonly Tensor? _one;
    readonly int _oneVersion;

    /// <summary>Saves <paramref name="values"/> (the array is kept, not copied).</summary>
    public SavedTensors(Tensor[] values)
    {
        _values = values;
        _versions = new int[values.Length];
        for (int i = 0; i < values.Length; i++) _versions[i] = values[i].VersionCounter.Value;
    }

    /// <summary>Saves one tensor (a node's output).</summary>
    public SavedTensors(Tensor one)
    {
        _one = one;
        _oneVersion = one.VersionCounter.Value;
    }

    /// <summary>Whether anything was saved (a default value holds nothing).</summary>
    public bool HasValue => _values is not null || _one is not null;

    /// <summary>
    /// The saved array after checking none changed; <paramref name="kind"/> names them in the error
    /// ("input", "saved tensor"), <paramref name="forwardSite"/> says where the op was called.
    /// </summary>
    public Tensor[] Unpack(string node, string op, string kind, string? forwardSite = null)
    {
        var values = _values ?? throw new InvalidOperationException("internal: no saved array");
        for (int i = 0; i < values.Length; i++)
            if (values[i].VersionCounter.Value != _versions![i]) throw Modified(node, op, $"{kind} {i}", values[i], _versions[i], forwardSite);
        return values;
    }

    /// <summary>The one saved tensor (an output) after checking it is unchanged.</summary>
    public Tensor UnpackOne(string node, string op, string which, string? forwardSite = null)
    {
        var one = _one ?? throw new InvalidOperationException("internal: no saved tensor");
        if (one.VersionCounter.Value != _oneVersion) throw Modified(node, op, which, one, _oneVersion, forwardSite);
        return one;
    }

    static InvalidOperationException Modified(string node, string op, string which, Tensor t, int saved, string? forwardSite) =>
        new($"{node}: one of the tensors needed for gradient computation ({which} of '{op}', {Errors.Describe(t)}) " +
            $"has been modified by an in-place operation ({t.VersionCounter.LastMutation ?? "unknown op"}) after '{op}' saved it " +
            $"(version {saved}, now {t.VersionCounter.Value})" + (forwardSite is null ? "" : $"; '{op}' was called at {forwardSite}") +
            ". Clone the tensor before changing it, or change it out of place.");

    /// <summary>The error for a node whose saved values were freed by an earlier backward.</summary>
    public static InvalidOperationException Freed(string node) =>
        new($"{node}: trying to backward through the graph a second time (or to use its results after they were freed). " +
            "The values this op saved were released after the first backward. Pass retainGraph: true to the first " +
            "Backward/Autograd.Grad call if you need to go through the graph again, or call Detach() on state you carry " +
            "between steps (e.g. an RNN's hidden state).");
}
