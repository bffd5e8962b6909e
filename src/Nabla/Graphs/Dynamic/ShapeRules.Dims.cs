
namespace Nabla.Graphs;

/// <summary>How dims are compared, unified and explained: broadcasts, unknowns, shapes found in the graph.</summary>
internal sealed partial class ShapeRules
{
    /// <summary>
    /// The symbolic shape of a value already in the graph with exactly the sizes <paramref name="target"/> (a shape
    /// computed from that value's, like a mask for Dropout or an expand to a broadcast shape); null without one, or
    /// (with <see cref="Why"/> set) when several values of that shape disagree.
    /// </summary>
    SymDim[]? ExplainShape(int[] target)
    {
        if (!_byShape.TryGetValue(Key(target), out var ids)) return null;
        SymDim[]? found = null;
        var agree = new bool[target.Length];
        bool dynamicOne = false;
        foreach (var id in ids)
        {
            var canon = _shapes[id]!.Select(Canon).ToArray();
            dynamicOne |= !IsStatic(canon);
            if (found is null)
            {
                found = canon;
                Array.Fill(agree, true);
            }
            else
                for (int d = 0; d < target.Length; d++) agree[d] &= found[d] == canon[d];
        }
        if (!dynamicOne) return null;
        // Values of this shape disagree on some dims (a batch of 64 and 64 channels): those dims are unknowns, which
        // the ops using the new value resolve.
        for (int d = 0; d < target.Length; d++)
        {
            if (agree[d]) continue;
            if (Unknown(target[d]) is not { } u) return null;
            found![d] = u;
        }
        return found;
    }

    /// <summary>A new unknown size traced at <paramref name="size"/> (see <see cref="SymbolTable"/>), or null with <see cref="Why"/> set.</summary>
    SymDim? Unknown(long size)
    {
        int u = symbols.AddUnknown(size, $"a size made by {Name} at {_op.Site}");
        if (u >= 0) return new SymDim(1, 1UL << u);
        Fail("more sizes to resolve than one graph can follow (64)");
        return null;
    }

    /// <summary>A shape with no value to follow: a size equal to exactly one dynamic dim's traced size is taken to be that dim.</summary>
    SymDim[]? PerDim(int[] target)
    {
        if (Why is not null) return null;
        var shape = new SymDim[target.Length];
        for (int d = 0; d < target.Length; d++)
        {
            if (target[d] >= 2 && symbols.AnyArgumentTracedAt(target[d]))
            {
                if (Unknown(target[d]) is not { } u) return null;
                shape[d] = u;
            }
            else shape[d] = SymDim.Const(target[d]);
        }
        return shape;
    }

    bool Broadcast(out SymDim[] shape)
    {
        int rank = _op.Inputs.Length == 0 ? 0 : _op.Inputs.Max(id => _shapes[id]!.Length);
        shape = new SymDim[rank];
        for (int j = 1; j <= rank; j++)
        {
            var dims = new List<SymDim>();
            foreach (var id in _op.Inputs)
                if (_shapes[id]!.Length >= j) dims.Add(_shapes[id]![^j]);
            if (!BroadcastDim(dims, out shape[rank - j])) return false;
        }
        return true;
    }

    bool BroadcastDim(IReadOnlyList<SymDim> dims, out SymDim result)
    {
        SymDim? found = null;
        foreach (var d in dims)
        {
            if (d.IsConst && d.Coeff == 1) continue;
            if (found is null) found = d;
            else if (!Same(found.Value, d)) { result = default; return Conflict(found.Value, d); }
        }
        result = found ?? SymDim.Const(1);
        return true;
    }


    SymDim[] In(int i) => _shapes[_op.Inputs[i]]!;

    /// <summary>Op <paramref name="k"/>'s first input's shape (rebuilders read it after the pass: members of a unified class get equal sizes, so no root is needed).</summary>
    SymDim[] In0At(int k) => _shapes[graph.Ops[k].Inputs[0]]!;

    bool AllInputsStatic() => _op.Inputs.All(id => IsStatic(_shapes[id]!));

    bool IsStatic(SymDim[] s) => s.All(d => d.IsConst);

    static SymDim[] Static(IEnumerable<int> dims) => [.. dims.Select(d => SymDim.Const(d))];

    static SymDim[] KeepAsOne(SymDim[] x, int[] axes) => [.. x.Select((d, i) => axes.Contains(i) ? SymDim.Const(1) : d)];

    SymDim Canon(SymDim d) => symbols.Canonical(d) ?? d;

    SymDim? Product(IEnumerable<SymDim> dims)
    {
        SymDim p = SymDim.Const(1);
        foreach (var d in dims)
            if (SymDim.Times(p, Canon(d)) is { } q) p = q;
            else return null;
        return p;
    }

    /// <summary>
    /// Whether two dims are the same size for every call: equal; two symbols traced at one size (unified); or an
    /// unknown and a fixed size (the unknown is bound to it).
    /// </summary>
    bool Same(SymDim a, SymDim b)
    {
        var (ca, cb) = (Canon(a), Canon(b));
        if (ca == cb) return true;
        if (symbols.TracedValue(ca) != symbols.TracedValue(cb)) return false;
        if (ca.IsConst || cb.IsConst)
        {
            var (sym, size) = ca.IsConst ? (cb, ca.Coeff) : (ca, cb.Coeff);
            return sym.Coeff == 1 && System.Numerics.BitOperations.PopCount(sym.Symbols) == 1
                && symbols.Bind(System.Numerics.BitOperations.TrailingZeroCount(sym.Symbols), size);
        }
        if (ca.Coeff != cb.Coeff) return false;
        if (System.Numerics.BitOperations.PopCount(ca.Symbols) != 1 || System.Numerics.BitOperations.PopCount(cb.Symbols) != 1) return false;
        symbols.Unify(System.Numerics.BitOperations.TrailingZeroCount(ca.Symbols), System.Numerics.BitOperations.TrailingZeroCount(cb.Symbols));
        return true;
    }

    /// <summary>
    /// An index no larger than <paramref name="x"/> off <paramref name="dim"/>, for every call: each such dim of the index
    /// is fixed where x's is fixed, or the same dynamic dim.
    /// </summary>
    bool SameOffDim(SymDim[] index, SymDim[] x, int dim)
    {
        for (int d = 0; d < index.Length; d++)
        {
            if (d == dim || (index[d].IsConst && x[d].IsConst) || Same(index[d], x[d])) continue;
            return Fail($"the op {Name} needs index dim {d} ({Show(index[d])}) to stay within the input's ({Show(x[d])})");
        }
        return true;
    }

    bool SameShapes(SymDim[] a, SymDim[] b) => SameShapesExcept(a, b, -1) || Conflict(a.FirstOrDefault(), b.FirstOrDefault());

    bool SameShapesExcept(SymDim[] a, SymDim[] b, int except)
    {
        if (a.Length != b.Length) return false;
        for (int d = 0; d < a.Length; d++)
            if (d != except && !Same(a[d], b[d])) return false;
        return true;
    }

    string Show(SymDim d) => d.IsConst ? $"the fixed size {d.Coeff}" : $"{Canon(d).Format(s => $"s{symbols.Root(s)}")} ({symbols.TracedValue(d)} when traced)";

    bool Conflict(SymDim a, SymDim b)
    {
        return Fail($"the op {Name} needs {Show(a)} and {Show(b)} to be equal, which holds only at the traced sizes");
    }

    bool Out(SymDim[] shape)
    {
        foreach (var o in _op.Outputs) Set(o, shape);
        return true;
    }

    void Set(int id, SymDim[] shape)
    {
        _shapes[id] = shape;
        string key = Key(graph.Values[id].Shape);
        if (!_byShape.TryGetValue(key, out var list)) _byShape[key] = list = [];
        list.Add(id);
    }

    static string Key(IEnumerable<int> dims) => string.Join(",", dims);

    bool Matches(SymDim[] shape, Shape traced)
    {
        if (shape.Length != traced.Rank) return false;
        for (int d = 0; d < shape.Length; d++)
            if (symbols.TracedValue(shape[d]) != traced[d]) return false;
        return true;
    }
}
