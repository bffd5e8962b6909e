using Nabla.Primitives;

namespace Nabla.Graphs;

/// <summary>
/// A graph traced once that serves every size of its dynamic dimensions (<see cref="CompileOptions.InputSignature"/>).
/// After the trace, <see cref="ShapeRules"/> follows each declared dynamic dimension through the ops as a
/// symbol (<c>s0</c>, <c>784·s0</c>), and notes for each op whose parameters hold sizes (a reshape target, a
/// reduction's input shape, a random draw's shape) how to rebuild them from the symbols. A call with other sizes
/// replays a copy of the graph with those parameters recomputed (one copy per distinct sizes, kept). Where the
/// rules cannot tell how a size follows the symbols (a size read in C#, a reshape that could split either way, a
/// dynamic dimension meeting a fixed one of the same size), the trace stays specialized to its sizes and
/// <see cref="CompiledFunction.Explain"/> says why: never a silently wrong graph.
/// </summary>
internal sealed class DynamicGraph
{
    const int MaxCopies = 16;

    readonly SymDim[][] _shapes;
    readonly Func<long[], Primitive>?[] _rebuild;
    readonly Func<long[], Shape>?[] _aliasShape;
    readonly long[] _tracedSizes;
    readonly Dictionary<long[], TracedGraph> _copies = new(SizesComparer.Instance);
    readonly Queue<long[]> _order = new();

    DynamicGraph(TracedGraph traced, SymbolTable symbols, SymDim[][] shapes, Func<long[], Primitive>?[] rebuild, Func<long[], Shape>?[] aliasShape)
    {
        _aliasShape = aliasShape;
        Traced = traced;
        Symbols = symbols;
        _shapes = shapes;
        _rebuild = rebuild;
        _tracedSizes = symbols.AllSizes([.. symbols.Traced.Take(symbols.ArgCount)]);
    }

    /// <summary>The graph as traced (at the traced sizes, with its joint backward when it has one).</summary>
    public TracedGraph Traced { get; }

    public SymbolTable Symbols { get; }

    /// <summary>The dynamic graph of <paramref name="graph"/>, or null with <paramref name="why"/> when it must stay specialized.</summary>
    public static DynamicGraph? TryBuild(TracedGraph graph, SymbolTable symbols, IReadOnlyList<(int Value, string Site)> sizeReads, out string? why)
    {
        var asTraced = Passes.PassPipeline.Before(graph);
        var fresh = ReferenceEquals(asTraced, graph) ? null : symbols.ArgumentsOnly();   // before the rules below unify symbols
        var built = Build(graph, symbols, sizeReads, out why);
        if (built is not null && fresh is not null) built._asTraced = new(() => Build(asTraced, fresh, sizeReads, out _));
        return built;
    }

    static DynamicGraph? Build(TracedGraph graph, SymbolTable symbols, IReadOnlyList<(int Value, string Site)> sizeReads, out string? why)
    {
        var rules = new ShapeRules(graph, symbols);
        if (!rules.Run())
        {
            why = rules.Why;
            return null;
        }
        foreach (var (value, site) in sizeReads)
            if (!rules.IsStatic(value))
            {
                why = $"user code reads the sizes of %{value} {rules.Format(value)} at {site}: a size read in C# is a fixed number in the graph. " +
                    "Let the ops compute sizes instead (Reshape with -1, Flatten, Mean, *Like creators), or keep that size fixed";
                return null;
            }
        why = null;
        return new DynamicGraph(graph, symbols, rules.Finished(), rules.Rebuild, rules.AliasShape);
    }

    Lazy<DynamicGraph?>? _asTraced;

    /// <summary>
    /// The graph as traced, before the passes, generalized the same way and copied for <paramref name="args"/>' sizes (built
    /// on first use); null when it can't serve them (the call then runs eagerly). What a call with a tape open, under a
    /// ForwardAccumulator or with anomaly detection replays, as a trace of fixed sizes replays <c>PassPipeline.Before</c>:
    /// a tape would record a fused or merged op with gradients summed in another order than eager code's.
    /// </summary>
    public TracedGraph? AsTracedFor(Tensor[] args)
    {
        var traced = _asTraced is null ? this : _asTraced.Value;
        return traced?.SizesFor(args, out _) is { } sizes ? traced.For(sizes) : null;
    }

    /// <summary>The symbol sizes of a call with <paramref name="args"/>, or null with <paramref name="why"/> when this graph cannot serve it.</summary>
    public long[]? SizesFor(Tensor[] args, out string? why)
    {
        var sizes = new long[Symbols.ArgCount];
        for (int s = 0; s < sizes.Length; s++) sizes[s] = args[Symbols.Arg[s]].Shape[Symbols.Dim[s]];
        for (int s = 0; s < sizes.Length; s++)
        {
            if (sizes[s] < 2)
            {
                why = $"{Symbols.Names[s]}: size {sizes[s]} (sizes 0 and 1 get a trace of their own, as in torch.compile: ops may treat them apart)";
                return null;
            }
            int root = Symbols.Root(s);
            if (sizes[s] != sizes[root])
            {
                why = $"{Symbols.Names[s]} = {sizes[s]} but the graph needs it equal to {Symbols.Names[root]} = {sizes[root]} (they meet in an op)";
                return null;
            }
        }
        why = null;
        return Symbols.AllSizes(sizes);
    }

    /// <summary>The graph for <paramref name="sizes"/>: the traced one at the traced sizes, else a copy with every size-holding op rebuilt.</summary>
    public TracedGraph For(long[] sizes)
    {
        if (sizes.AsSpan().SequenceEqual(_tracedSizes)) return Traced;
        if (_copies.TryGetValue(sizes, out var copy)) return copy;
        copy = Copy(sizes);
        if (_copies.Count >= MaxCopies) _copies.Remove(_order.Dequeue());
        _copies[sizes] = copy;
        _order.Enqueue(sizes);
        return copy;
    }

    TracedGraph Copy(long[] sizes)
    {
        var g = Traced.With(Traced.Values.Select(v => v with { Shape = Shape.Wrap(ShapeRules.Eval(_shapes[v.Id], sizes)) }),
            Traced.Ops.Select((op, k) => op.CopyWith(_rebuild[k] is { } rebuild ? rebuild(sizes) : op.Op, _aliasShape[k]?.Invoke(sizes))));
        // The joint backward is traced at each copy's sizes, on its first replay that would use one.
        g.BackwardPending = Traced.BackwardPending || Traced.Backward is not null;
        g.RecomputeInBackward = Traced.RecomputeInBackward;
        return g;
    }

    /// <summary>The dynamic dims and their traced sizes, e.g. <c>x[0] = s0 (64 when traced), y[0] = s0</c>.</summary>
    public string Describe() => string.Join(", ", Enumerable.Range(0, Symbols.ArgCount).Select(s =>
        $"{Symbols.Names[s]} = s{Symbols.Root(s)}" + (Symbols.Root(s) == s ? $" ({Symbols.Traced[s]} when traced)" : "")));

    /// <summary>The shape of value <paramref name="id"/> with its symbols, e.g. <c>[s0, 784]</c>.</summary>
    public string Format(int id) => ShapeRules.Format(_shapes[id], Symbols);

    /// <summary>Symbol sizes compared by value (a call looks its copy up without making a key).</summary>
    sealed class SizesComparer : IEqualityComparer<long[]>
    {
        public static readonly SizesComparer Instance = new();

        public bool Equals(long[]? a, long[]? b) => a.AsSpan().SequenceEqual(b);

        public int GetHashCode(long[] sizes)
        {
            var hash = new HashCode();
            foreach (var n in sizes) hash.Add(n);
            return hash.ToHashCode();
        }
    }
}
