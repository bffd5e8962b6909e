using System.Text.Json;
using Nabla.Engine;
using Nabla.IO;

namespace Nabla.Graphs;

/// <summary>One graph of a loaded file: the argument signature it serves, under which grad mode, and the graph.</summary>
internal sealed record LoadedGraph(ArgSignature[] Args, bool GradEnabled, TracedGraph Graph);

/// <summary>What a graph file holds once read and checked: the function's name, its graphs and its weights by name.</summary>
internal sealed record GraphFile(string Name, List<LoadedGraph> Graphs, Dictionary<string, Tensor> Weights, List<string> WeightNames);

/// <summary>
/// Reads a file written by <see cref="GraphFileWriter"/> and checks every item before anything runs:
/// the safetensors layer (sizes, offsets, dtypes), then the description: counts under limits, every value
/// id in range and defined once before it is read, every op of a kind a saved graph may hold with the
/// inputs and outputs that kind needs, primitives only of Nabla's own savable types with exactly their
/// fields (<see cref="PrimitiveCodec"/>), layouts that fit their values, and each weight or constant of the
/// shape and dtype its value has. The bodies of Graph.Cond / WhileLoop / Scan ops are graphs read by the same
/// code (<see cref="GraphFileFlow"/>). Anything else is an <see cref="InvalidDataException"/> naming the file
/// and the item.
/// </summary>
internal static class GraphFileReader
{
    public const int MaxGraphs = 1024;
    public const int MaxValues = 1 << 22;
    public const int MaxOps = 1 << 22;
    public const int MaxCaptures = 1 << 20;
    public const int MaxOpInputs = 1 << 16;

    /// <summary>
    /// How deep the JSON may nest: a top-level op's fields need about 10 levels, and each level of control flow
    /// (an op's "flow", its "bodies", a body, its "ops", an op) adds 5, so a file nested past
    /// <see cref="GraphFileFlow.MaxNesting"/> is refused by the parser before any recursion of the reader.
    /// </summary>
    public const int MaxJsonDepth = 16 + 5 * (GraphFileFlow.MaxNesting + 1);

    public static GraphFile Read(Stream stream, string source, IReadOnlyDictionary<string, Tensor>? weights)
    {
        var tensors = SafeTensorsReader.ReadTensors(stream, source, out var header);
        var meta = header.Metadata;
        Exception Fail(string problem) => new InvalidDataException($"Invalid graph file '{source}': {problem}.");
        if (!meta.TryGetValue(GraphFileWriter.FormatKey, out var format) || format != GraphFileWriter.Format || !meta.TryGetValue(GraphFileWriter.GraphKey, out var text))
            throw Fail($"it is a safetensors file without a graph (its metadata has no '{GraphFileWriter.FormatKey}': '{GraphFileWriter.Format}' " +
                $"and '{GraphFileWriter.GraphKey}'); write one with CompiledFunction.Save");
        if (!meta.TryGetValue(GraphFileWriter.VersionKey, out var version) || version != GraphFileWriter.Version)
            throw Fail($"its graph format version is '{version ?? "(none)"}', and this Nabla reads version {GraphFileWriter.Version}");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = MaxJsonDepth }); }
        catch (JsonException e) { throw Fail($"the graph description is not valid JSON: {e.Message}"); }
        using (doc)
            return Parse(doc.RootElement, tensors, weights, Fail);
    }

    static GraphFile Parse(JsonElement root, Dictionary<string, Tensor> tensors, IReadOnlyDictionary<string, Tensor>? supplied, Func<string, Exception> fail)
    {
        if (root.ValueKind != JsonValueKind.Object) throw fail($"the graph description must be a JSON object, got {root.ValueKind}");
        string name = GraphFileValues.String(root, "name", fail);
        var parameterNames = GraphFileValues.Array(root, "parameterNames", fail, MaxOpInputs).EnumerateArray()
            .Select((e, i) => e.ValueKind == JsonValueKind.String && e.GetString()!.Length <= PrimitiveCodec.MaxStringLength ? e.GetString()! : throw fail($"parameterNames[{i}] must be a string"))
            .ToList();

        // Weights: one per capture, from the caller's map, else from the file.
        var context = new GraphFileContext(tensors);
        var used = context.Used;
        var captures = new List<Tensor>();
        var captureNames = new List<string>();
        var missing = new List<string>();
        int c = 0;
        foreach (var e in GraphFileValues.Array(root, "captures", fail, MaxCaptures).EnumerateArray())
        {
            var at = In(fail, $"captures[{c++}]");
            if (e.ValueKind != JsonValueKind.Object) throw at("must be an object");
            string weight = GraphFileValues.String(e, "name", at);
            if (!used.Add(weight)) throw at($"names the weight '{weight}' twice");
            var (shape, dtype, device) = Layout(e, at);
            captureNames.Add(weight);
            Tensor? given = supplied?.GetValueOrDefault(weight);
            Tensor? t = given ?? tensors.GetValueOrDefault(weight);
            if (t is null) { missing.Add(weight); captures.Add(null!); continue; }
            if (!t.Shape.Equals(shape) || t.DType != dtype || !t.Device.Equals(device))
            {
                string what = $"weight '{weight}' is {t.Shape} {t.DType.TorchName()} on {t.Device}, but the graphs were traced with {shape} {dtype.TorchName()} on {device}";
                throw ReferenceEquals(t, given) ? Errors.Arg("CompiledFunction.Load", what + "; pass a tensor of the traced shape, dtype and device.") : at(what);
            }
            captures.Add(t);
        }
        if (missing.Count > 0)
            throw Errors.Arg("CompiledFunction.Load", $"the file has no weights for {string.Join(", ", missing.Select(m => $"'{m}'"))} (it was saved without " +
                "them); pass them by name: CompiledFunction.Load(path, weights), e.g. a module's StateDict() or SafeTensors.Load of a weights file.");

        var graphs = new List<LoadedGraph>();
        int g = 0;
        foreach (var e in GraphFileValues.Array(root, "graphs", fail, MaxGraphs).EnumerateArray())
            graphs.Add(ParseGraph(e, parameterNames, captures, context, In(fail, $"graph {g++}")));
        if (graphs.Count == 0) throw fail("it holds no graph");
        // Every tensor of the file is a weight or a constant some op reads: nothing unexplained is accepted.
        foreach (var tensorName in tensors.Keys)
            if (!used.Contains(tensorName)) throw fail($"its tensor '{PrimitiveCodec.Clip(tensorName)}' is neither a weight nor a constant of any graph");
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < captures.Count; i++) weights.Add(captureNames[i], captures[i]);
        return new GraphFile(name, graphs, weights, captureNames);
    }

    static LoadedGraph ParseGraph(JsonElement e, List<string> parameterNames, List<Tensor> captures, GraphFileContext context, Func<string, Exception> fail)
    {
        if (e.ValueKind != JsonValueKind.Object) throw fail("must be an object");
        context.StartGraph();
        var (graph, defined) = ReadValues(e, context, fail);

        var signature = PrimitiveCodec.Property(e, "signature", JsonValueKind.Object, fail);
        bool gradEnabled = GraphFileValues.Bool(signature, "gradEnabled", fail);
        var parameters = GraphFileValues.Ints(PrimitiveCodec.Property(e, "parameters", JsonValueKind.Array, fail), fail, "parameters", maxLength: MaxOpInputs);
        var args = new List<ArgSignature>();
        foreach (var a in GraphFileValues.Array(signature, "args", fail, MaxOpInputs).EnumerateArray())
        {
            int i = args.Count;
            var at = In(fail, $"argument {i}");
            if (a.ValueKind != JsonValueKind.Object) throw at("must be an object");
            var (shape, dtype, device) = Layout(a, at);
            var strides = GraphFileValues.Ints(PrimitiveCodec.Property(a, "strides", JsonValueKind.Array, at), at, "strides", min: 0, maxLength: Shape.MaxRank);
            if (strides.Length != shape.Rank) throw at($"has {strides.Length} strides for a shape of rank {shape.Rank}");
            int sameAs = GraphFileValues.Int(a, "sameAs", at, min: -1);
            if (sameAs >= i) throw at($"says it shares memory with argument {sameAs}, which is not an earlier one");
            args.Add(new ArgSignature(shape, dtype, device, strides, GraphFileValues.Bool(a, "requiresGrad", at), sameAs));
        }
        if (parameters.Length != args.Count) throw fail($"has {parameters.Length} parameters but its signature has {args.Count} arguments");
        for (int i = 0; i < parameters.Length; i++)
        {
            var at = In(fail, $"parameter {i}");
            int id = defined.Id(parameters[i], at);
            // The same tensor passed twice is one value, and the signature says so.
            if (defined[id] && (args[i].SameAs < 0 || parameters[args[i].SameAs] != id)) throw at($"reuses value %{id} without sharing memory with that argument");
            defined.Set(id);
            if (!Matches(graph.Values[id], args[i].Shape, args[i].DType, args[i].Device)) throw at($"value %{id} does not have the argument's layout");
            graph.Parameters.Add(id);
            graph.ParameterNames.Add(i < parameterNames.Count ? parameterNames[i] : $"args[{i}]");
        }

        int k = 0;
        foreach (var pair in GraphFileValues.Array(e, "captures", fail, MaxCaptures).EnumerateArray())
        {
            var at = In(fail, $"capture entry {k++}");
            var ids = GraphFileValues.Ints(pair, at, "[capture, value]", min: 0, maxLength: 2);
            if (ids.Length != 2) throw at("must be [capture index, value id]");
            if (ids[0] >= captures.Count) throw at($"names capture {ids[0]}, but the file has {captures.Count}");
            defined.Define(ids[1], at);
            var t = captures[ids[0]];
            if (!Matches(graph.Values[ids[1]], t.Shape, t.DType, t.Device)) throw at($"value %{ids[1]} does not have the weight's layout");
            graph.Captures.Add((ids[1], t));
            graph.CaptureRequiresGrad.Add(t.RequiresGrad);   // as loaded: a later change would need a retrace, which a file can't do
        }

        ReadOpsAndOutputs(e, graph, defined, context, depth: 0, fail);
        return new LoadedGraph([.. args], gradEnabled, graph);
    }

    /// <summary>The "values" of a graph or a body: a new graph holding them, and which of them are defined so far (none).</summary>
    internal static (TracedGraph Graph, DefinedValues Defined) ReadValues(JsonElement e, GraphFileContext context, Func<string, Exception> fail)
    {
        var values = GraphFileValues.Array(e, "values", fail, MaxValues);
        context.CountValues(values.GetArrayLength(), fail);
        var graph = new TracedGraph();
        int v = 0;
        foreach (var value in values.EnumerateArray())
        {
            var at = In(fail, $"value %{v}");
            if (value.ValueKind != JsonValueKind.Object) throw at("must be an object");
            var (shape, dtype, device) = Layout(value, at);
            graph.Values.Add(new GraphValue(v++, shape, dtype, device));
        }
        return (graph, new DefinedValues(graph.Values.Count));
    }

    /// <summary>
    /// The "ops" and "outputs" of a graph or a body (at nesting <paramref name="depth"/>), its parameters already
    /// defined; then the graph's run on the reference device (<see cref="GraphFileCheck"/>).
    /// </summary>
    internal static void ReadOpsAndOutputs(JsonElement e, TracedGraph graph, DefinedValues defined, GraphFileContext context, int depth, Func<string, Exception> fail)
    {
        var ops = GraphFileValues.Array(e, "ops", fail, MaxOps);
        context.CountOps(ops.GetArrayLength(), fail);
        int n = 0;
        foreach (var op in ops.EnumerateArray())
            graph.Ops.Add(GraphFileOps.Parse(op, graph, defined, context, depth, In(fail, $"op {n++}")));

        var outputs = GraphFileValues.Ints(PrimitiveCodec.Property(e, "outputs", JsonValueKind.Array, fail), fail, "outputs", maxLength: MaxOpInputs);
        foreach (var id in outputs)
        {
            if (!defined[defined.Id(id, fail)]) throw fail($"returns value %{id}, which no parameter, capture or op defines");
            graph.Outputs.Add(id);
        }
        GraphFileCheck.Verify(graph, fail);
    }

    internal static (Shape Shape, DType DType, Device Device) Layout(JsonElement e, Func<string, Exception> at) =>
        (GraphFileValues.ShapeOf(PrimitiveCodec.Property(e, "shape", JsonValueKind.Array, at), at, "shape"),
         GraphFileValues.DTypeOf(PrimitiveCodec.Property(e, "dtype", JsonValueKind.String, at), at, "dtype"),
         GraphFileValues.DeviceOf(PrimitiveCodec.Property(e, "device", JsonValueKind.String, at), at, "device"));

    internal static bool Matches(GraphValue v, Shape shape, DType dtype, Device device) => v.Shape.Equals(shape) && v.DType == dtype && v.Device.Equals(device);

    internal static Func<string, Exception> In(Func<string, Exception> fail, string item) => problem => fail($"{item}: {problem}");
}
