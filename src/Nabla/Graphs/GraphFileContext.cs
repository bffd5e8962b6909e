namespace Nabla.Graphs;

/// <summary>
/// What reading one graph file shares across its graphs and the bodies of their control-flow ops: the file's
/// tensors, which of them are used (as weights or by a constant op), and running counts, so that a body's values,
/// ops and nested bodies count in the same limits as the graph that holds them.
/// </summary>
internal sealed class GraphFileContext(Dictionary<string, Tensor> tensors)
{
    /// <summary>How many bodies (of Graph.Cond, WhileLoop, Scan ops, nested ones included) one file may hold.</summary>
    public const int MaxBodies = 1 << 16;

    int _values, _ops, _bodies;

    public Dictionary<string, Tensor> Tensors { get; } = tensors;

    /// <summary>The names of the file's tensors read so far: each weight once, each constant by one op.</summary>
    public HashSet<string> Used { get; } = new(StringComparer.Ordinal);

    /// <summary>A top-level graph begins: the value and op limits apply to it and its bodies together.</summary>
    public void StartGraph() => (_values, _ops) = (0, 0);

    public void CountValues(int count, Func<string, Exception> fail) =>
        Count(ref _values, count, GraphFileReader.MaxValues, "values", fail);

    public void CountOps(int count, Func<string, Exception> fail) =>
        Count(ref _ops, count, GraphFileReader.MaxOps, "ops", fail);

    public void CountBody(Func<string, Exception> fail)
    {
        if (++_bodies > MaxBodies) throw fail($"the file holds more than {MaxBodies} bodies of control-flow ops, the limit");
    }

    static void Count(ref int total, int count, int limit, string what, Func<string, Exception> fail)
    {
        total += count;   // each count is at most its limit (checked by the array's length first), so no overflow
        if (total > limit) throw fail($"the graph and the bodies of its control-flow ops hold more than {limit} {what}, the limit");
    }
}

/// <summary>
/// Which values of a graph being read are defined so far (by a parameter, a capture or an op): ids are checked to be
/// in range, defined once, and defined before they are read.
/// </summary>
internal sealed class DefinedValues(int count)
{
    readonly bool[] _defined = new bool[count];

    public bool this[int id] => _defined[id];

    /// <summary><paramref name="id"/>, checked to be a value of the graph.</summary>
    public int Id(int id, Func<string, Exception> at) =>
        (uint)id < (uint)_defined.Length ? id : throw at($"names value %{id}, but the graph has {_defined.Length} values");

    /// <summary>Defines a new value: an error when it is out of range or already defined.</summary>
    public void Define(int id, Func<string, Exception> at)
    {
        if (_defined[Id(id, at)]) throw at($"defines value %{id}, which is already defined");
        _defined[id] = true;
    }

    /// <summary>Marks an id (already checked) defined, as an argument passed twice defines its value twice.</summary>
    public void Set(int id) => _defined[id] = true;
}
