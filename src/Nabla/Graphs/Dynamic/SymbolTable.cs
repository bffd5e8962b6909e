namespace Nabla.Graphs;

/// <summary>
/// The dynamic dimensions of one trace: symbol k is dimension <see cref="Dim"/>[k] of argument
/// <see cref="Arg"/>[k], traced at size <see cref="Traced"/>[k]. Two symbols that meet in an op (x's batch
/// and the targets' batch in a loss) are unified: the graph is then valid only for calls where both sizes
/// are equal, and a call where they differ is traced again (where eager code would stop at the mismatch).
/// </summary>
internal sealed class SymbolTable
{
    readonly List<int> _parent = [];

    public List<int> Arg { get; } = [];
    public List<int> Dim { get; } = [];
    public List<long> Traced { get; } = [];

    /// <summary>Argument names, for messages (<c>x[0]</c>).</summary>
    public List<string> Names { get; } = [];

    public int Count => _parent.Count;

    public int Add(int arg, int dim, long traced, string name)
    {
        _parent.Add(_parent.Count);
        Arg.Add(arg);
        Dim.Add(dim);
        Traced.Add(traced);
        Names.Add(name);
        return _parent.Count - 1;
    }

    /// <summary>
    /// Unifies the symbols traced at equal sizes (an input batch and its targets' batch): the graph then serves only
    /// calls where they are equal again, so a shape check the front end made while tracing (a loss's inputs and
    /// targets must have one batch) can't be skipped by a replay with sizes the trace never compared.
    /// </summary>
    public void UnifyEqualSizes()
    {
        for (int a = 0; a < Count; a++)
            for (int b = a + 1; b < Count; b++)
                if (Traced[a] == Traced[b]) Unify(a, b);
    }

    public int Root(int s)
    {
        while (_parent[s] != s) s = _parent[s] = _parent[_parent[s]];
        return s;
    }

    /// <summary>Makes two symbols one (their traced sizes are equal: the caller checked).</summary>
    public void Unify(int a, int b)
    {
        a = Root(a);
        b = Root(b);
        if (a != b) _parent[Math.Max(a, b)] = Math.Min(a, b);
    }

    /// <summary><paramref name="d"/> with every symbol replaced by its class's root; null when two merged symbols would multiply.</summary>
    public SymDim? Canonical(SymDim d)
    {
        ulong bits = 0;
        for (ulong b = d.Symbols; b != 0; b &= b - 1)
        {
            ulong root = 1UL << Root(System.Numerics.BitOperations.TrailingZeroCount(b));
            if ((bits & root) != 0) return null;
            bits |= root;
        }
        return new SymDim(d.Coeff, bits);
    }

    /// <summary>The value <paramref name="d"/> had when traced.</summary>
    public long TracedValue(SymDim d)
    {
        long v = d.Coeff;
        for (ulong b = d.Symbols; b != 0; b &= b - 1) v *= Traced[System.Numerics.BitOperations.TrailingZeroCount(b)];
        return v;
    }

    /// <summary>The symbol (a root) traced at size <paramref name="size"/>, when exactly one class was; else -1.</summary>
    public int UniqueRootOfSize(long size)
    {
        int found = -1;
        for (int s = 0; s < Count; s++)
        {
            if (Root(s) != s || Traced[s] != size) continue;
            if (found >= 0) return -2;
            found = s;
        }
        return found;
    }

    public string Name(int s) => Names[Root(s)];
}
