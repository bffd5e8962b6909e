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
internal sealed partial class ShapeRules(TracedGraph graph, SymbolTable symbols)
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
            case Primitives.Linalg.LinearSolve or Primitives.Linalg.TriangularSolve or Primitives.Linalg.Determinant or Primitives.Linalg.LogAbsDet or Primitives.Linalg.Adjugate or Primitives.Linalg.CholeskyFactor
                or Primitives.Linalg.FusedAttention or Primitives.Linalg.FusedAttentionGrad:
                return BatchFollows(0, 0);   // per-matrix ops: a dynamic leading batch dim carries through, the matrix sizes stay fixed
            case Full or Arange or RandomUniform or RandomNormal or RandomInt:
                return CreateRule(k, (CreationPrimitive)p);
            case FusedElementwise or FusedRows or MatMulEpilogue or ConvEpilogue or MatMulFold or ReluBackwardRows:
                return FusedRule(k, p);
            default:
                return Fail($"the op {Name} has no rule for dynamic dimensions yet");
        }
    }

}
