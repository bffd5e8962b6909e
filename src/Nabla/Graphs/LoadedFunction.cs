using Nabla.Engine;
using System.Text;
using Nabla.Graphs;

namespace Nabla;

/// <summary>
/// A function loaded by <see cref="CompiledFunction.Load(string, IReadOnlyDictionary{string, Tensor}?)"/> from a file
/// <see cref="CompiledFunction.Save(string, bool)"/> wrote: its graphs, run without the C# source (the role of
/// torch.jit.load and tf.saved_model.load). A call picks the graph saved for its arguments' signature (shapes,
/// dtypes, devices, strides, requires-grad flags) and replays it through the same dispatch as eager code,
/// so results are bitwise those of the compiled function, and gradients flow through it as through any
/// eager call. It cannot trace: arguments of a signature never traced before saving, or a value read on
/// the host (a guard) that differs from every saved trace, are errors that say so.
/// </summary>
/// <example><code>
/// var compiled = Graph.Compile(model.Eval());
/// compiled.Call(x);                                     // traces the graph for x's shape
/// compiled.Save("model.graph", includeWeights: true);
/// // in another process, without the model's code:
/// var f = CompiledFunction.Load("model.graph");
/// var y = f.Call(x);                                    // bitwise what compiled.Call(x) gives
/// </code></example>
public sealed class LoadedFunction
{
    readonly List<LoadedGraph> _graphs;
    readonly object _gate = new();

    internal LoadedFunction(GraphFile file)
    {
        Name = file.Name;
        _graphs = file.Graphs;
        Weights = file.WeightNames.ToDictionary(n => n, n => file.Weights[n], StringComparer.Ordinal);
        WeightNames = file.WeightNames;
    }

    /// <summary>The name of the function that was compiled and saved.</summary>
    public string Name { get; }

    /// <summary>
    /// The tensors the graphs read from outside (module parameters and buffers, Variables), by name, read
    /// by reference at every call: changing one in place (<c>Assign</c>, <c>CopyFrom</c>) changes later results.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Weights { get; }

    /// <summary>The weight names, in the file's order.</summary>
    public IReadOnlyList<string> WeightNames { get; }

    /// <summary>How many graphs the file holds (one per signature and guard outcome traced before saving).</summary>
    public int GraphCount => _graphs.Count;

    /// <summary>Runs the function on <paramref name="args"/> and returns its only output (<see cref="CallMany"/> for several).</summary>
    public Tensor Call(params Tensor[] args)
    {
        var outputs = CallMany(args);
        return outputs.Length == 1 ? outputs[0]
            : throw Errors.State("LoadedFunction.Call", $"{Name} returns {outputs.Length} tensors, not one; call CallMany to get them all.");
    }

    /// <summary>Runs the function on <paramref name="args"/> and returns all its outputs, in order.</summary>
    public Tensor[] CallMany(params Tensor[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        for (int i = 0; i < args.Length; i++)
            if (args[i] is null) throw Errors.Arg("LoadedFunction.Call", $"argument {i} of {Name} is null.");
        var key = Signature.Of(args, module: null);
        lock (_gate)
        {
            GuardFailure? failed = null;
            foreach (var graph in Candidates(key))
            {
                if (Replay.Run(graph.Graph, args, out var failure) is { } outputs) return outputs;
                failed ??= failure;
            }
            if (failed is not null)
                throw Errors.State("LoadedFunction.Call", $"{Name} read a value at {failed.Site} that no saved graph was traced for ({failed.Change}); " +
                    "a loaded function cannot trace a new graph. Before saving, call the compiled function on inputs that take every branch you need.");
            throw Errors.Arg("LoadedFunction.Call", $"{Name} has no saved graph for arguments ({key}); it was saved with graphs for: " +
                $"{string.Join("; ", _graphs.Select(g => $"({Describe(g.Args)})").Distinct())}. A loaded function cannot trace a new graph: " +
                "call the compiled function with such arguments before saving it.");
        }
    }

    /// <summary>The saved graph that would run for <paramref name="args"/>, as readable SSA (as <see cref="CompiledFunction.GraphFor"/> prints).</summary>
    public string GraphFor(params Tensor[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var key = Signature.Of(args, module: null);
        var graph = Candidates(key).FirstOrDefault()
            ?? throw Errors.Arg("LoadedFunction.GraphFor", $"{Name} has no saved graph for arguments ({key}).");
        return GraphPrinter.Print(graph.Graph, Name);
    }

    /// <summary>One line per saved graph: its arguments, grad mode, ops and guards; then the weights.</summary>
    public string Explain()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Name} (loaded): {_graphs.Count} graph(s)");
        for (int i = 0; i < _graphs.Count; i++)
        {
            var g = _graphs[i];
            sb.AppendLine($"  graph {i}: arguments ({Describe(g.Args)}), grad mode {(g.GradEnabled ? "on" : "off")}, {g.Graph.Ops.Count} ops, {g.Graph.GuardCount} guards");
        }
        sb.AppendLine($"  weights: {string.Join(", ", WeightNames.Select(n => $"{n} {Weights[n].Shape}"))}");
        return sb.ToString();
    }

    /// <summary>
    /// The graphs saved for these arguments, those traced under the current grad mode first: grad mode
    /// changes what the engine records, never the values, so a graph traced under the other mode serves too.
    /// </summary>
    IEnumerable<LoadedGraph> Candidates(Signature key)
    {
        var matching = _graphs.Where(g => g.Args.AsSpan().SequenceEqual(key.Args)).ToList();
        return matching.Where(g => g.GradEnabled == key.GradEnabled).Concat(matching.Where(g => g.GradEnabled != key.GradEnabled));
    }

    static string Describe(ArgSignature[] args) => string.Join(", ", args.Select(a => a.ToString()));
}
