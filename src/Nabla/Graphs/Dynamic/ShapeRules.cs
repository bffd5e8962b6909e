using Nabla.Engine;
using Nabla.Primitives;
using Nabla.Primitives.Creation;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Index;
using Nabla.Primitives.Linalg;
using Nabla.Primitives.Movement;
using Nabla.Primitives.Pool;
using Nabla.Primitives.Random;
using Nabla.Primitives.Reduce;
using Nabla.Primitives.Write;

namespace Nabla.Graphs;

/// <summary>
/// Follows the dynamic dimensions of a traced graph through its ops, in program order: the symbolic shape of
/// every value (<see cref="SymDim"/>), and for each op whose parameters hold sizes, how to rebuild it for other
/// sizes. Each rule states what the op does to shapes; a size the rules cannot account for makes the pass fail
/// with a reason (the trace then stays specialized). Every symbolic shape is checked against the traced shape,
/// so a wrong rule fails the pass instead of making a wrong graph.
/// </summary>
internal sealed class ShapeRules(TracedGraph graph, SymbolTable symbols)
{
    readonly SymDim[]?[] _shapes = new SymDim[]?[graph.Values.Count];
    readonly Dictionary<string, List<int>> _byShape = [];

    /// <summary>Per op: builds its primitive for given symbol sizes (null: the traced one serves every size).</summary>
    public Func<long[], Primitive>?[] Rebuild { get; } = new Func<long[], Primitive>?[graph.Ops.Count];

    /// <summary>Per alias op that reshapes its source: its shape for given symbol sizes.</summary>
    public Func<long[], Shape>?[] AliasShape { get; } = new Func<long[], Shape>?[graph.Ops.Count];

    /// <summary>Why the pass failed (with the op's line).</summary>
    public string? Why { get; private set; }

    GraphOp _op = null!;

    public bool Run()
    {
        for (int i = 0; i < graph.Parameters.Count; i++)
        {
            int id = graph.Parameters[i];
            var dims = Static(graph.Values[id].Shape);
            for (int s = 0; s < symbols.Count; s++)
                if (symbols.Arg[s] == i) dims[symbols.Dim[s]] = new SymDim(1, 1UL << s);
            if (_shapes[id] is { } seen)
            {
                // The same tensor passed twice: its dims are one.
                for (int d = 0; d < dims.Length; d++)
                    if (!Same(seen[d], dims[d])) return Fail($"argument {graph.ParameterNames[i]} is the same tensor as another argument with other dynamic dims");
            }
            else Set(id, dims);
        }
        foreach (var (id, _) in graph.Captures) Set(id, Static(graph.Values[id].Shape));
        for (int k = 0; k < graph.Ops.Count; k++)
        {
            _op = graph.Ops[k];
            if (!Visit(k)) return false;
            foreach (var o in _op.Outputs)
            {
                if (_shapes[o] is null) return Fail($"the op {Name} gave no shape for %{o} (a rule is missing)");
                if (!Matches(_shapes[o]!, graph.Values[o].Shape))
                    return Fail($"the rule for {Name} gives %{o} the shape {Format(o)}, not the traced {graph.Values[o].Shape} (a rule is wrong)");
            }
        }
        _op = null!;
        for (int id = 0; id < _shapes.Length; id++)
            foreach (var d in _shapes[id] ?? [])
                foreach (var u in symbols.Unresolved(d))
                    return Fail($"the size {symbols.Traced[u]} of {symbols.Names[u]} could be a dynamic size or a fixed one, and no op tells which");
        return true;
    }

    /// <summary>Every value's shape with each symbol replaced by its class's root.</summary>
    public SymDim[][] Finished() => [.. _shapes.Select(s => (s ?? []).Select(d => symbols.Canonical(d) ?? d).ToArray())];

    public bool IsStatic(int id) => _shapes[id] is not { } s || IsStatic(s);

    public string Format(int id) => Format(_shapes[id] ?? [], symbols);

    public static string Format(SymDim[] shape, SymbolTable symbols) =>
        "[" + string.Join(", ", shape.Select(d => (symbols.Canonical(d) ?? d).Format(s => $"s{symbols.Root(s)}"))) + "]";

    /// <summary>The sizes of <paramref name="shape"/> for the symbol sizes <paramref name="sizes"/>.</summary>
    public static int[] Eval(SymDim[] shape, long[] sizes)
    {
        var dims = new int[shape.Length];
        for (int d = 0; d < dims.Length; d++)
        {
            long v = shape[d].Eval(sizes);
            if (v is < 0 or > int.MaxValue)
                throw Errors.Arg("CompiledFunction", $"a dimension of the graph would have {v} elements for these argument sizes, more than a tensor may have.");
            dims[d] = (int)v;
        }
        return dims;
    }

    string Name => _op.Op?.Name ?? _op.Kind.ToString();

    bool Fail(string why)
    {
        Why ??= _op is null ? why : $"{why} (at {_op.Site})";
        return false;
    }

    bool Visit(int k)
    {
        var op = _op;
        switch (op.Kind)
        {
            case GraphOpKind.Guard or GraphOpKind.GradGuard or GraphOpKind.HostEffect:
                return true;
            case GraphOpKind.SetGrad:
                return op.Inputs.Length < 2 || SameShapes(In(0), In(1));
            case GraphOpKind.GradOf:
                Set(op.Outputs[0], In(0));
                return true;
            case GraphOpKind.Check:
                // The bound is a size the front end read (a gathered dim, the number of classes): fixed in the op.
                if (op.Check is IndexRangeCheck range && symbols.AnyArgumentTracedAt(range.Size))
                    return Fail($"an index check's bound {range.Size} equals a dynamic size");
                return true;
            case GraphOpKind.Constant:
                Set(op.Outputs[0], Static(graph.Values[op.Outputs[0]].Shape));
                return true;
            case GraphOpKind.Alias:
                if (IsStatic(In(0))) Set(op.Outputs[0], Static(op.Layout.Shape));
                else if (op.SameLayoutAsSource) Set(op.Outputs[0], In(0));
                else if (op.ReshapesSource && ReshapeRule(op.Layout.Shape.ToArray()) is { } reshaped)
                {
                    AliasShape[k] = n => Shape.Wrap(Eval(reshaped, n));
                    Set(op.Outputs[0], reshaped);
                }
                else if (Why is not null) return false;
                else return Fail($"a raw view of %{op.Inputs[0]} {Format(op.Inputs[0])} in another layout can't follow its dynamic dims");
                return true;
            case GraphOpKind.ControlFlow or GraphOpKind.Custom:
                if (!AllInputsStatic()) return Fail($"{(op.Kind == GraphOpKind.Custom ? "a custom function" : "Graph.Cond/WhileLoop/Scan")} on values with dynamic dims is not supported yet");
                foreach (var o in op.Outputs) Set(o, Static(graph.Values[o].Shape));
                return true;
            case GraphOpKind.Write:
                if (op.Op is StridedScatter && !AllInputsStatic()) return Fail("an in-place write through a strided view of a value with dynamic dims");
                return Broadcast(out _);
            default:
                if (op.Rebuild is not null && !AllInputsStatic()) return Fail($"the op {Name} is rebuilt from C# state on each call");
                return Call(k);
        }
    }

    bool Call(int k)
    {
        var op = _op;
        var p = op.Op!;
        // Fixed inputs give fixed outputs, but for ops that make sizes of their own: an expand (a bias broadcast to the batch).
        if (op.Kind != GraphOpKind.Create && p is not Expand && AllInputsStatic())
        {
            foreach (var o in op.Outputs) Set(o, Static(graph.Values[o].Shape));
            return true;
        }
        switch (p)
        {
            case SizeOf:
                return Out([]);
            case ElementwiseUnary or ElementwiseBinary or Relu or ReluBackward or TanhBackward or Where or Compare or Cast or Copy or Transfer or Flip:
                return Broadcast(out var shape) && Out(shape);
            case MatMul:
                return MatMulRule();
            case Permute permute:
                return Out([.. permute.Dims.Select(d => In(0)[d])]);
            case Sum sum:
                Rebuild[k] = n => new Sum(sum.Axes, Eval(In0At(k), n), sum.KeepDim);
                return Out([.. In(0).Select((d, i) => sum.Axes.Contains(i) ? (sum.KeepDim ? SymDim.Const(1) : (SymDim?)null) : d).OfType<SymDim>()]);
            case Max max:
                Rebuild[k] = n => new Max(max.Axes, Eval(In0At(k), n), max.IsMin);
                return Out(KeepAsOne(In(0), max.Axes));
            case ArgMax a: return Out(KeepAsOne(In(0), [a.Dim]));
            case Prod a: return Out(KeepAsOne(In(0), [a.Dim]));
            case MedianIndex a: return Out(KeepAsOne(In(0), [a.Dim]));
            case Reshape reshape:
                if (ReshapeRule(reshape.OutputShape) is not { } target) return false;
                Rebuild[k] = n => new Reshape(Eval(In0At(k), n), Eval(target, n));
                return Out(target);
            case Expand expand:
                if (ExpandRule(expand.OutputShape) is not { } expanded) return false;
                Rebuild[k] = n => new Expand(Eval(In0At(k), n), Eval(expanded, n));
                return Out(expanded);
            case Slice slice:
                return SliceRule(k, slice);
            case Pad pad:
                return PadRule(k, pad);
            case Concat concat:
                return ConcatRule(k, concat);
            case Diagonal diag:
                if (!In(0)[diag.Dim1].IsConst || !In(0)[diag.Dim2].IsConst) return Fail("a diagonal over a dynamic dim");
                Rebuild[k] = n => new Diagonal(Eval(In0At(k), n), diag.Offset, diag.Dim1, diag.Dim2);
                return Out([.. In(0).Where((_, d) => d != diag.Dim1 && d != diag.Dim2), SymDim.Const(diag.Length)]);
            case Gather gather:
                // The kernel relies on the front end's check that the index is no larger than the input off the gathered dim.
                if (!SameOffDim(In(1), In(0), gather.Dim)) return false;
                Rebuild[k] = n => new Gather(gather.Dim, Eval(In0At(k), n));
                return Out(In(1));
            case ScatterAdd scatter:
                if (!SameOffDim(In(1), In(2), scatter.Dim) || !SameOffDim(In(1), In(0), scatter.Dim)) return false;
                int srcId = op.Inputs[2];
                Rebuild[k] = n => new ScatterAdd(scatter.Dim, Eval(_shapes[srcId]!, n));
                return Out(In(0));
            case Unfold unfold:
                return BatchFollows(0, unfold.Geometry.RowsOuter ? 1 : 0);
            case Fold fold:
                return BatchFollows(fold.Geometry.RowsOuter ? 1 : 0, 0);
            case MaxPool2d or MaxUnpool:
                return BatchFollows(0, 0);
            case Full or Arange or RandomUniform or RandomNormal or RandomInt:
                return CreateRule(k, (CreationPrimitive)p);
            default:
                return Fail($"the op {Name} has no rule for dynamic dimensions yet");
        }
    }

    // ---- the rules ----

    bool MatMulRule()
    {
        var (a, b) = (In(0), In(1));
        int r = a.Length;
        if (r < 2 || b.Length != r) return Fail("a matmul of other ranks than the front end makes");
        if (!Same(a[r - 1], b[r - 2])) return Conflict(a[r - 1], b[r - 2]);
        var shape = new SymDim[r];
        for (int d = 0; d < r - 2; d++)
        {
            if (!BroadcastDim([a[d], b[d]], out shape[d])) return false;
        }
        shape[r - 2] = a[r - 2];
        shape[r - 1] = b[r - 1];
        return Out(shape);
    }

    /// <summary>
    /// A reshape's target: dims equal to the input's at the front and at the back are those dims; the middle gets
    /// the rest of the element count: one dim takes it all, several are resolved by a value of the graph with that
    /// very shape, else by the only dim the dynamic part divides.
    /// </summary>
    SymDim[]? ReshapeRule(int[] target)
    {
        var input = In(0);
        if (Product(input) is not { } n) { Fail("a reshape of a value whose dynamic dims multiply a size by itself"); return null; }
        if (n.IsConst) return Static(target);
        var shape = new SymDim?[target.Length];
        int i0 = 0, j0 = 0, i1 = input.Length, j1 = target.Length;
        // Equal dims from the front and from the back are kept; a size-1 dim on either side is skipped (unsqueeze, squeeze).
        while (i0 < i1 && j0 < j1)
        {
            long size = symbols.TracedValue(input[i0]);
            if (size == target[j0]) shape[j0++] = input[i0++];
            else if (target[j0] == 1) shape[j0++] = SymDim.Const(1);
            else if (size == 1 && input[i0].IsConst) i0++;
            else break;
        }
        while (i1 > i0 && j1 > j0)
        {
            long size = symbols.TracedValue(input[i1 - 1]);
            if (size == target[j1 - 1]) shape[--j1] = input[--i1];
            else if (target[j1 - 1] == 1) shape[--j1] = SymDim.Const(1);
            else if (size == 1 && input[i1 - 1].IsConst) i1--;
            else break;
        }
        var rest = Product(input[i0..i1])!.Value;
        if (j1 - j0 == 1) shape[j0] = rest;
        else if (j1 == j0)
        {
            if (!(rest.IsConst && rest.Coeff == 1)) { Fail("a reshape that drops a dynamic dim"); return null; }
        }
        else if (!rest.IsConst)
        {
            if (ExplainShape(target) is { } known && Product(known) is { } p && Canon(p) == Canon(n)) return known;
            if (Why is not null) return null;
            long symbolic = symbols.TracedValue(rest with { Coeff = 1 });
            int only = -1;
            for (int j = j0; j < j1; j++)
                if (target[j] % symbolic == 0)
                {
                    if (only >= 0) { Fail($"a reshape to [{string.Join(", ", target)}]: more than one dim could hold the dynamic size"); return null; }
                    only = j;
                }
            if (only < 0) { Fail($"a reshape to [{string.Join(", ", target)}] that splits a dynamic size"); return null; }
            for (int j = j0; j < j1; j++) shape[j] = j == only ? new SymDim(target[j] / symbolic, rest.Symbols) : SymDim.Const(target[j]);
        }
        else
            for (int j = j0; j < j1; j++) shape[j] = SymDim.Const(target[j]);
        var result = shape.Select(d => d!.Value).ToArray();
        if (Product(result) is not { } m || Canon(m) != Canon(n)) { Fail($"a reshape to [{string.Join(", ", target)}] whose element count can't follow the dynamic dims"); return null; }
        return result;
    }

    /// <summary>An expand keeps the input's dims that are not 1; a new or size-1 dim takes its size from a value of the graph with that shape.</summary>
    SymDim[]? ExpandRule(int[] target)
    {
        var input = In(0);
        int lead = target.Length - input.Length;
        var shape = new SymDim?[target.Length];
        bool created = false;
        for (int j = 0; j < target.Length; j++)
        {
            int i = j - lead;
            if (i >= 0 && !(input[i].IsConst && input[i].Coeff == 1)) shape[j] = input[i];
            else if (target[j] == 1) shape[j] = SymDim.Const(1);
            else created = true;
        }
        if (created)
        {
            var known = ExplainShape(target) ?? PerDim(target);
            if (known is null) return null;
            for (int j = 0; j < target.Length; j++)
            {
                if (shape[j] is null) shape[j] = known[j];
                else if (!Same(shape[j]!.Value, known[j])) { Conflict(shape[j]!.Value, known[j]); return null; }
            }
        }
        return [.. shape.Select(d => d!.Value)];
    }

    bool SliceRule(int k, Slice slice)
    {
        var input = In(0);
        var shape = new SymDim[input.Length];
        for (int d = 0; d < input.Length; d++)
        {
            if (input[d].IsConst) shape[d] = SymDim.Const(slice.Count[d]);
            else if (slice.Start[d] == 0 && slice.Step[d] == 1 && slice.Count[d] == symbols.TracedValue(input[d])) shape[d] = input[d];
            else return Fail($"a slice of part of dynamic dim {d} of %{_op.Inputs[0]} {Format(_op.Inputs[0])}");
        }
        Rebuild[k] = n => new Slice(Eval(In0At(k), n), slice.Start, slice.Step, Eval(shape, n));
        return Out(shape);
    }

    bool PadRule(int k, Pad pad)
    {
        var input = In(0);
        var shape = new SymDim[input.Length];
        for (int d = 0; d < input.Length; d++)
        {
            if (input[d].IsConst) shape[d] = SymDim.Const(pad.OutputShape[d]);
            else if (pad.Start[d] == 0 && pad.Step[d] == 1 && pad.OutputShape[d] == symbols.TracedValue(input[d])) shape[d] = input[d];
            else return Fail($"a pad along dynamic dim {d} of %{_op.Inputs[0]} {Format(_op.Inputs[0])}");
        }
        Rebuild[k] = n => new Pad(Eval(In0At(k), n), Eval(shape, n), pad.Start, pad.Step);
        return Out(shape);
    }

    bool ConcatRule(int k, Concat concat)
    {
        int dim = concat.Dim;
        var first = In(0);
        var shape = (SymDim[])first.Clone();
        SymDim total = SymDim.Const(0);
        for (int i = 0; i < _op.Inputs.Length; i++)
        {
            var x = In(i);
            for (int d = 0; d < x.Length; d++)
                if (d != dim && !Same(first[d], x[d])) return Conflict(first[d], x[d]);
            var part = Canon(x[dim]);
            if (total.Coeff == 0 || total.Symbols == part.Symbols) total = new SymDim(total.Coeff + part.Coeff, part.Symbols | total.Symbols);
            else return Fail("a concatenation of a dynamic dim with other sizes along it");
        }
        shape[dim] = total;
        var ids = _op.Inputs;
        Rebuild[k] = n => new Concat(dim, [.. ids.Select(id => Eval(_shapes[id]!, n))]);
        return Out(shape);
    }

    /// <summary>Ops over a fixed window geometry (convolution's im2col, pooling): only the batch dim may be dynamic, and it is carried through.</summary>
    bool BatchFollows(int inPos, int outPos)
    {
        SymDim? batch = null;
        foreach (var id in _op.Inputs)
        {
            var x = _shapes[id]!;
            for (int d = 0; d < x.Length; d++)
            {
                if (x[d].IsConst) continue;
                if (d != inPos) return Fail($"the op {Name} has a fixed geometry, and only its batch dim may be dynamic (%{id} {Format(id)})");
                if (batch is null) batch = x[d];
                else if (!Same(batch.Value, x[d])) return Conflict(batch.Value, x[d]);
            }
        }
        foreach (var o in _op.Outputs)
        {
            var shape = Static(graph.Values[o].Shape);
            if (batch is { } b) shape[outPos] = b;
            Set(o, shape);
        }
        return true;
    }

    bool CreateRule(int k, CreationPrimitive p)
    {
        var target = p.Shape;
        if (target.All(d => d < 2 || !symbols.AnyArgumentTracedAt(d))) return Out(Static(target));
        var shape = ExplainShape(target) ?? PerDim(target);
        if (shape is null) return false;
        if (IsStatic(shape)) return Out(shape);
        Rebuild[k] = p switch
        {
            Full full => n => new Full(Eval(shape, n), full.DType, full.Value),
            RandomUniform r => n => new RandomUniform(Eval(shape, n), r.DType, r.Seed, r.Start),
            RandomNormal r => n => new RandomNormal(Eval(shape, n), r.DType, r.Seed, r.Start),
            RandomInt r => n => new RandomInt(Eval(shape, n), r.DType, r.Low, r.Low + (long)r.Range, r.Seed, r.Start),
            Arange a => n => new Arange(a.Start, a.Step, Eval(shape, n)[0], a.DType),
            _ => null,
        };
        return Rebuild[k] is not null ? Out(shape) : Fail($"the op {Name} makes a dynamic shape it can't rebuild");
    }

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

    // ---- helpers ----

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
