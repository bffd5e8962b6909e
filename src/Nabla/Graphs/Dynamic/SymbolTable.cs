using System.Numerics;

namespace Nabla.Graphs;

/// <summary>
/// The symbols of one trace. The first <see cref="ArgCount"/> are the dynamic dimensions of the arguments: symbol k is
/// dimension <see cref="Dim"/>[k] of argument <see cref="Arg"/>[k], traced at size <see cref="Traced"/>[k]. Later ones
/// are unknowns: a size an op made (a new shape whose sizes could follow a dynamic dim or be fixed), resolved by the
/// ops that use it, which either unify it with a dynamic dim or bind it to a fixed size; one never resolved keeps the
/// trace specialized. Two symbols that meet in an op are unified: the graph is then valid only for calls where both
/// sizes are equal, and a call where they differ is traced again (where eager code would stop at the mismatch).
/// </summary>
internal sealed class SymbolTable
{
    readonly List<int> _parent = [];
    readonly List<long?> _bound = [];

    public List<int> Arg { get; } = [];
    public List<int> Dim { get; } = [];
    public List<long> Traced { get; } = [];

    /// <summary>Names for messages (<c>x[0]</c>; an unknown names the op that made it).</summary>
    public List<string> Names { get; } = [];

    public int Count => _parent.Count;

    /// <summary>How many symbols are argument dims (the first ones).</summary>
    public int ArgCount { get; private set; }

    public int Add(int arg, int dim, long traced, string name)
    {
        if (Count != ArgCount) throw new InvalidOperationException("argument symbols come first");
        ArgCount++;
        return Push(arg, dim, traced, name);
    }

    /// <summary>A new unknown traced at <paramref name="traced"/>; -1 when the 64 symbols a shape can hold are used up.</summary>
    public int AddUnknown(long traced, string name) => Count >= 64 ? -1 : Push(-1, -1, traced, name);

    int Push(int arg, int dim, long traced, string name)
    {
        _parent.Add(_parent.Count);
        _bound.Add(null);
        Arg.Add(arg);
        Dim.Add(dim);
        Traced.Add(traced);
        Names.Add(name);
        return _parent.Count - 1;
    }

    /// <summary>
    /// Unifies the argument symbols traced at equal sizes (an input batch and its targets' batch): the graph then serves
    /// only calls where they are equal again, so a shape check the front end made while tracing (a loss's inputs and
    /// targets must have one batch) can't be skipped by a replay with sizes the trace never compared.
    /// </summary>
    public void UnifyEqualSizes()
    {
        for (int a = 0; a < ArgCount; a++)
            for (int b = a + 1; b < ArgCount; b++)
                if (Traced[a] == Traced[b]) Unify(a, b);
    }

    /// <summary>A new table with this one's argument symbols only, unified as <see cref="UnifyEqualSizes"/> does: for another graph of the same call.</summary>
    public SymbolTable ArgumentsOnly()
    {
        var table = new SymbolTable();
        for (int s = 0; s < ArgCount; s++) table.Add(Arg[s], Dim[s], Traced[s], Names[s]);
        table.UnifyEqualSizes();
        return table;
    }

    public int Root(int s)
    {
        while (_parent[s] != s) s = _parent[s] = _parent[_parent[s]];
        return s;
    }

    /// <summary>The fixed size an unknown's class was bound to, or null.</summary>
    public long? BoundTo(int s) => _bound[Root(s)];

    /// <summary>Whether <paramref name="s"/>'s class holds an argument dim (roots are the smallest member, so an argument's when there is one).</summary>
    public bool FollowsArgument(int s) => Root(s) < ArgCount;

    /// <summary>Makes two symbols one (their traced sizes are equal: the caller checked).</summary>
    public void Unify(int a, int b)
    {
        a = Root(a);
        b = Root(b);
        if (a == b) return;
        var (keep, drop) = (Math.Min(a, b), Math.Max(a, b));
        _parent[drop] = keep;
        _bound[keep] ??= _bound[drop];
    }

    /// <summary>Binds an unknown's class to a fixed size (false when the class follows an argument dim).</summary>
    public bool Bind(int s, long size)
    {
        int root = Root(s);
        if (root < ArgCount) return false;
        _bound[root] = size;
        return true;
    }

    /// <summary>
    /// <paramref name="d"/> with every symbol replaced by its class's root, and bound classes by their sizes; null when
    /// two merged symbols would multiply.
    /// </summary>
    public SymDim? Canonical(SymDim d)
    {
        ulong bits = 0;
        long coeff = d.Coeff;
        for (ulong b = d.Symbols; b != 0; b &= b - 1)
        {
            int root = Root(BitOperations.TrailingZeroCount(b));
            if (_bound[root] is { } size)
            {
                coeff *= size;
                continue;
            }
            if ((bits & 1UL << root) != 0) return null;
            bits |= 1UL << root;
        }
        return new SymDim(coeff, bits);
    }

    /// <summary>The value <paramref name="d"/> had when traced.</summary>
    public long TracedValue(SymDim d)
    {
        long v = d.Coeff;
        for (ulong b = d.Symbols; b != 0; b &= b - 1) v *= Traced[BitOperations.TrailingZeroCount(b)];
        return v;
    }

    /// <summary>Whether some argument dim was traced at size <paramref name="size"/>.</summary>
    public bool AnyArgumentTracedAt(long size)
    {
        for (int s = 0; s < ArgCount; s++)
            if (Traced[s] == size) return true;
        return false;
    }

    /// <summary>The unknowns used in <paramref name="d"/> that are still unresolved (neither an argument's dim nor bound).</summary>
    public IEnumerable<int> Unresolved(SymDim d)
    {
        for (ulong b = d.Symbols; b != 0; b &= b - 1)
        {
            int root = Root(BitOperations.TrailingZeroCount(b));
            if (root >= ArgCount && _bound[root] is null) yield return root;
        }
    }

    /// <summary>
    /// Every symbol's size for a call whose argument symbols have sizes <paramref name="argSizes"/> (unified argument
    /// symbols already checked equal): an unknown takes its class's argument size or bound size.
    /// </summary>
    public long[] AllSizes(long[] argSizes)
    {
        var sizes = new long[Count];
        for (int s = 0; s < Count; s++)
        {
            int root = Root(s);
            sizes[s] = s < ArgCount ? argSizes[s] : _bound[root] ?? (root < ArgCount ? argSizes[root] : 0);
        }
        return sizes;
    }
}
