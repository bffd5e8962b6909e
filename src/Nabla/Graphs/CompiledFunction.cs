using System.Text;
using Nabla.Engine;
using Nabla.Graphs;
using Nabla.Graphs.Passes;
using Nabla.NN;

namespace Nabla;

/// <summary>
/// A function compiled by <see cref="Graph.Compile(Func{Tensor, Tensor}, CompileOptions?)"/>: the first call
/// with a new signature runs the function and traces it; later calls replay the graph. See
/// <see cref="Explain"/> for what was traced and why, and <see cref="GraphFor"/> for a graph.
/// </summary>
public partial class CompiledFunction
{
    readonly Func<Tensor[], Tensor[]> _function;
    readonly string[] _names;
    readonly Module? _module;
    readonly CompileOptions _options;
    readonly List<Trace> _traces = [];
    readonly List<string> _log = [];
    readonly object _gate = new();
    bool _warnedLimit;

    /// <summary>One trace: the signature it was made for, and its graph, or why it runs eagerly.</summary>
    /// <remarks><paramref name="Dynamic"/>: set when the graph serves every size of the input signature's dynamic dims;
    /// <paramref name="TracedKey"/>: the signature of the traced call itself (with a dynamic graph, <paramref name="Key"/> matches other sizes).</remarks>
    sealed record Trace(int Number, Signature Key, TracedGraph? Graph, string? EagerReason, DynamicGraph? Dynamic = null, Signature? TracedKey = null)
    {
        /// <summary>The signature of the call that was traced (what a saved graph was made for).</summary>
        public Signature Concrete => TracedKey ?? Key;
    }

    readonly ulong[]? _dynamic;

    private protected CompiledFunction(string name, Func<Tensor[], Tensor[]> function, string[] names, Module? module, CompileOptions? options)
    {
        Name = name;
        _function = function;
        _names = names;
        _module = module;
        _options = options ?? new CompileOptions();
        if (_options.RetraceLimit < 1)
            throw Errors.Arg("Graph.Compile", $"RetraceLimit must be at least 1, got {_options.RetraceLimit}.");
        if (_options.InputSignature is { } specs)
        {
            if (specs.Any(s => s is null)) throw Errors.Arg("Graph.Compile", "InputSignature holds a null TensorSpec.");
            if (specs.Any(s => s.DynamicMask != 0)) _dynamic = [.. specs.Select(s => s.DynamicMask)];
        }
    }

    /// <summary>The compiled function's name in messages (the method, or the lambda's enclosing method).</summary>
    public string Name { get; }

    /// <summary>How many graphs have been traced (each new signature or failed guard traces one).</summary>
    public int TraceCount { get { lock (_gate) return _traces.Count; } }

    /// <summary>
    /// What happened so far, one line per event: each trace and why it was made (<c>x: shape [64, 784] -> [32, 784]</c>,
    /// a failed guard), its ops and guards, the signatures that run eagerly and why, and the retrace limit.
    /// </summary>
    public string Explain()
    {
        lock (_gate)
        {
            var sb = new StringBuilder();
            sb.AppendLine($"{Name}: {_traces.Count} trace(s) (RetraceLimit {_options.RetraceLimit}, FullGraph {_options.FullGraph})");
            foreach (var line in _log) sb.AppendLine("  " + line);
            foreach (var t in _traces.Where(t => t.Graph?.Backward?.Partition is not null))
                sb.AppendLine($"  joint backward of trace #{t.Number}: {t.Graph!.Backward!.Partition}");
            foreach (var t in _traces.Where(t => t.Graph is not null))
                foreach (var guard in t.Graph!.Ops.Where(o => o.Kind is GraphOpKind.Guard or GraphOpKind.GradGuard))
                    sb.AppendLine($"  guard of trace #{t.Number}: %{guard.Inputs[0]}{(guard.Kind == GraphOpKind.Guard ? " == " : "")}{guard.ExpectedText}  # {guard.Site}");
            return sb.ToString();
        }
    }

    /// <summary>
    /// The graph traced for arguments like <paramref name="args"/> (same signature), as readable SSA:
    /// <c>%3 = mul(%1, %2) : [64, 10] float32  # File.cs:12</c>. Throws when none was traced for that
    /// signature yet (call the function first: tracing runs it, with its side effects).
    /// </summary>
    public string GraphFor(params Tensor[] args) => GraphOf("CompiledFunction.GraphFor", args, GraphPrinter.Print);

    /// <summary>
    /// The graph as traced for arguments like <paramref name="args"/>, before the passes of <see cref="CompileOptions.Passes"/>
    /// rewrote it into what <see cref="GraphFor"/> prints (for a dynamic trace: at its traced sizes). <see cref="Explain"/>
    /// says what each pass did.
    /// </summary>
    public string TracedGraphFor(params Tensor[] args) => GraphOf("CompiledFunction.TracedGraphFor", args, GraphPrinter.Print, optimized: false);

    /// <summary>
    /// The graph <see cref="GraphFor"/> prints, in Graphviz DOT (<c>dot -Tsvg</c> draws it): arguments and
    /// captures, one box per op with its SSA line, an edge per value.
    /// </summary>
    public string DotFor(params Tensor[] args) => GraphOf("CompiledFunction.DotFor", args, GraphPrinter.Dot);

    /// <summary>The joint backward graph of the trace for <paramref name="args"/> as text, or null when it has none (yet).</summary>
    internal string? BackwardGraphFor(params Tensor[] args) =>
        GraphOf("CompiledFunction.BackwardGraphFor", args, (g, name) => g.Backward is { } b ? GraphPrinter.Print(b.Graph, name + "_backward") : "");

    string GraphOf(string op, Tensor[] args, Func<TracedGraph, string, string> format, bool optimized = true)
    {
        ArgumentNullException.ThrowIfNull(args);
        var key = Signature.Of(args, _module);
        var dynamicKey = _dynamic is null ? null : Signature.Of(args, _module, _dynamic);
        lock (_gate)
        {
            foreach (var t in _traces)
                if (t.Dynamic is { } dynamic && t.Key.Equals(dynamicKey) && dynamic.SizesFor(args, out _) is { } sizes)
                    return $"# dynamic dims: {dynamic.Describe()}{Environment.NewLine}" + format(optimized ? dynamic.For(sizes) : PassPipeline.Before(t.Graph!), Name);
            var trace = _traces.FirstOrDefault(t => t.Dynamic is null && t.Key.Equals(key))
                ?? throw Errors.State(op, $"{Name} has no graph for arguments ({key}) yet; call it with such arguments first.");
            if (trace.Graph is null)
                throw Errors.State(op, $"{Name} runs eagerly for arguments ({key}): {trace.EagerReason}.");
            return format(optimized ? trace.Graph : PassPipeline.Before(trace.Graph), Name);
        }
    }

    /// <summary>Runs the function on <paramref name="args"/>: replays a graph whose signature and guards match, or traces a new one.</summary>
    private protected Tensor[] Run(Tensor[] args)
    {
        for (int i = 0; i < args.Length; i++)
            if (args[i] is null) throw Errors.Arg(Name, $"argument {(i < _names.Length ? _names[i] : $"{i}")} is null.");
        if (_options.InputSignature is { } specs) CheckSignature(args, specs);
        if (Graph.RunEagerly) return _function(args);
        lock (_gate)
        {
            GuardFailure? failed = null;
            string? notServed = null;
            foreach (var trace in _traces)
            {
                // A dynamic graph's key matches other sizes of its dynamic dims; any other key only its own sizes.
                if (!trace.Key.Matches(args, _module)) continue;
                var graph = trace.Graph;
                if (trace.Dynamic is { } dynamic)
                {
                    if (dynamic.SizesFor(args, out var why0) is not { } sizes)
                    {
                        notServed ??= why0;
                        continue;
                    }
                    // As for a graph of fixed sizes below, the graph as traced (run eagerly where that one can't follow the sizes).
                    graph = Tapes.Open is not null || ForwardMode.Active || GradMode.AnomalyDetection ? dynamic.AsTracedFor(args) : dynamic.For(sizes);
                }
                // A tape open around the call may record ops the trace saw unrecorded: it gets the graph as traced, since
                // a merged value's gradient would be summed in another order than eager code's (equal only to rounding);
                // so do a ForwardAccumulator (its tangents follow each op) and anomaly detection (it names the op that made a NaN).
                else if (graph is not null && (Tapes.Open is not null || ForwardMode.Active || GradMode.AnomalyDetection)) graph = PassPipeline.Before(graph);
                if (graph is null) return _function(args);
                var outputs = Replay.Run(graph, args, out var failure);
                if (outputs is not null) return outputs;
                failed ??= failure;
            }
            var key = Signature.Of(args, _module);
            var dynamicKey = _dynamic is null ? null : Signature.Of(args, _module, _dynamic);
            string why = failed is not null
                ? $"guard at {failed.Site}: {failed.Change}"
                : notServed is not null ? notServed
                : _traces.Count == 0 ? "first call"
                : key.DifferenceFrom(Enumerable.Reverse(_traces).MinBy(t => key.Distance(t.Key))!.Key, _names);   // the latest of the nearest
            if (ForwardMode.Active)
            {
                // Tracing now would record the accumulator's tangent ops as if the function computed them.
                _log.Add($"a call under a ForwardAccumulator needed a new trace ({why}): ran eagerly, not traced");
                return _function(args);
            }
            if (_traces.Count >= _options.RetraceLimit) return PastLimit(args, why);
            return TraceAndRun(args, key, dynamicKey, why);
        }
    }

    void CheckSignature(Tensor[] args, IReadOnlyList<TensorSpec> specs)
    {
        if (args.Length != specs.Count)
            throw Errors.Arg(Name, $"called with {args.Length} tensor argument(s), but its InputSignature has {specs.Count}.");
        for (int i = 0; i < args.Length; i++)
            if (specs[i].Mismatch(args[i]) is { } mismatch)
                throw Errors.Arg(Name, $"argument {(i < _names.Length ? _names[i] : $"{i}")} has {mismatch}. Calls must match " +
                    "CompileOptions.InputSignature (null sizes are free), as tf.function's input_signature.");
    }

    Tensor[] TraceAndRun(Tensor[] args, Signature key, Signature? dynamicKey, string why)
    {
        int number = _traces.Count + 1;
        var tracer = new Tracer(args, _names, firstTrace: number == 1, _options.FullGraph, allSites: _options.RecordAllSites || dynamicKey is { IsDynamic: true });
        var symbols = dynamicKey is { IsDynamic: true } ? Symbols(args, dynamicKey) : null;
        Tensor[] outputs;
        using (Dispatch.Observe(tracer))
        {
            if (symbols is null) outputs = _function(args);
            else using (SizeReads.Watch(tracer)) outputs = _function(args);
        }
        for (int i = 0; i < outputs.Length; i++)
            if (outputs[i] is null) throw Errors.State(Name, $"the function returned null as output {i}; a compiled function must return tensors.");
        string label = number == 1 ? $"trace #1 of {Name} (first call)" : $"retrace #{number} of {Name}: {why}";
        if (tracer.Untraceable is { } reason)
        {
            _traces.Add(new Trace(number, key, null, reason));
            _log.Add($"{label}: runs eagerly for arguments ({key}): {reason}");
        }
        else
        {
            var graph = tracer.Finish(outputs);
            string passes = PassPipeline.Run(graph, tracer.TracedTensors, _options.Passes, dynamicDims: symbols is not null);
            graph.BackwardPending = BackwardGraph.MayServe(graph);   // traced on the first replay that would use it
            graph.RecomputeInBackward = (_options.Passes & GraphPasses.Recompute) != 0;
            string? specialized = symbols is null ? null : symbols.Traced.Any(n => n < 2)
                ? "a dynamic dim has size 0 or 1 (such sizes get a trace of their own)" : null;
            var dynamic = symbols is null || specialized is not null ? null : DynamicGraph.TryBuild(graph, symbols, tracer.SizeReadsSeen, out specialized);
            _traces.Add(new Trace(number, dynamic is null ? key : dynamicKey!, graph, null, dynamic, key));
            _log.Add($"{label}: {graph.Ops.Count} ops, {graph.GuardCount} guards, arguments ({key})" +
                (dynamic is not null ? $"; dynamic dims {dynamic.Describe()}" : specialized is not null ? $"; specialized to these sizes: {specialized}" : "") +
                (passes.Length > 0 ? $"; {passes}" : ""));
        }
        return outputs;
    }

    /// <summary>One symbol per dynamic dim of the call (the input signature's null sizes of contiguous arguments).</summary>
    SymbolTable Symbols(Tensor[] args, Signature dynamicKey)
    {
        var table = new SymbolTable();
        for (int i = 0; i < args.Length; i++)
            for (int d = 0; d < args[i].Rank; d++)
                if ((dynamicKey.Args[i].Dynamic >> d & 1) != 0)
                    table.Add(i, d, args[i].Shape[d], $"{(i < _names.Length ? _names[i] : $"args[{i}]")}[{d}]");
        table.UnifyEqualSizes();
        return table;
    }

    Tensor[] PastLimit(Tensor[] args, string why)
    {
        string history = string.Join(Environment.NewLine, _log.Select(l => "  " + l));
        if (_options.FullGraph)
            throw Errors.State(Name, $"with FullGraph, {Name} would trace a graph past RetraceLimit ({_options.RetraceLimit}) because {why}. " +
                $"Keep argument shapes and read values fixed, or raise CompileOptions.RetraceLimit. History:{Environment.NewLine}{history}");
        _log.Add($"past the retrace limit ({_options.RetraceLimit}): ran eagerly ({why})");
        if (!_warnedLimit)
        {
            _warnedLimit = true;
            Console.Error.WriteLine($"warning: {Name} was traced {_traces.Count} times (CompileOptions.RetraceLimit); calls that would trace " +
                $"again now run eagerly (last reason: {why}). Retracing is slow: keep argument shapes fixed. History:{Environment.NewLine}{history}");
        }
        return _function(args);
    }
}

/// <summary>A compiled function with the signature of <typeparamref name="TFunc"/>: call it as <c>cf.Call(a, b)</c>.</summary>
/// <typeparam name="TFunc">The delegate type compiled (<c>Func&lt;Tensor, Tensor&gt;</c>, ...).</typeparam>
public sealed class CompiledFunction<TFunc> : CompiledFunction where TFunc : Delegate
{
    internal CompiledFunction(string name, Func<Tensor[], Tensor[]> function, string[] names, Module? module, CompileOptions? options,
        Func<Func<Tensor[], Tensor[]>, TFunc> typed)
        : base(name, function, names, module, options) => Call = typed(Run);

    /// <summary>Calls the compiled function (replays a graph, or traces one).</summary>
    public TFunc Call { get; }

    /// <summary>The compiled function as a plain delegate, to pass where <typeparamref name="TFunc"/> is expected.</summary>
    public static implicit operator TFunc(CompiledFunction<TFunc> compiled) => compiled.Call;
}
