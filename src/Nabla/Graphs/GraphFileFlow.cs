using System.Diagnostics;
using System.Text.Json;
using Nabla.Engine;

namespace Nabla.Graphs;

/// <summary>
/// Graph.Cond, WhileLoop and Scan ops in a graph file: the op's fields (kind, operand and carry counts, iteration
/// limit, direction) and its bodies, each a graph of its own written inside the op (values, parameters, ops,
/// outputs, and which op inputs it captures), nested bodies likewise, at most <see cref="MaxNesting"/> deep.
/// Reading checks a body as strictly as a top-level graph (its values and ops count in the same limits, and it is
/// run once on zeros on the reference device) and checks it against the op: one parameter per operand it takes and
/// per input it captures, each of that input's layout; branch outputs that agree with each other and the op's
/// outputs; loop variables and a scan's carry that keep their layout; a one-element predicate. The construct
/// itself is not run at load time (a loop could run as long as the file's data says): its bodies each run once.
/// </summary>
internal static class GraphFileFlow
{
    /// <summary>How deep control flow may nest in a file (a Cond in a WhileLoop's body is 2 deep).</summary>
    public const int MaxNesting = 16;

    /// <summary>Each kind's bodies, as <see cref="ControlFlowOp.Bodies"/> holds them (and the printed graph names them).</summary>
    static readonly string[][] BodyNames = [["ifTrue", "ifFalse"], ["cond", "body"], ["step"]];

    /// <summary>Writes <paramref name="flow"/>'s fields and bodies as the op's "flow" (its bodies at nesting <paramref name="depth"/> + 1).</summary>
    public static void Write(Utf8JsonWriter json, ControlFlowOp flow, string constantPrefix, Dictionary<string, Tensor> tensors, string name, Signature key, int depth)
    {
        json.WriteStartObject("flow");
        json.WriteString("kind", flow.Kind.ToString());
        json.WriteNumber("operandCount", flow.OperandCount);
        json.WriteNumber("carryCount", flow.CarryCount);
        json.WriteBoolean("reverse", flow.Reverse);
        if (flow.MaxIterations is int max) json.WriteNumber("maxIterations", max);
        else json.WriteNull("maxIterations");
        json.WriteStartArray("bodies");
        for (int b = 0; b < flow.Bodies.Length; b++)
        {
            var body = flow.Bodies[b];
            // A body's captures became its trailing parameters (ControlFlowOp.Create), and its guards on C# state moved
            // to the enclosing graph (TracedBody.Keep): a body holding either would be a bug of the tracer.
            if (body.Captures.Count > 0 || body.HostGuards.Count > 0)
                throw new InvalidOperationException($"internal: a body of {flow.Api} at {flow.Site} still has captures or guards on C# state");
            json.WriteStartObject();
            GraphFileWriter.WriteInts(json, "captureInputs", flow.CaptureInputs[b]);
            json.WriteStartArray("parameterNames");
            foreach (var p in body.ParameterNames) json.WriteStringValue(p);
            json.WriteEndArray();
            GraphFileWriter.WriteValues(json, body);
            GraphFileWriter.WriteInts(json, "parameters", body.Parameters);
            GraphFileWriter.WriteInts(json, "outputs", body.Outputs);
            GraphFileWriter.WriteOps(json, body, $"{constantPrefix}.{b}", tensors, name, key, depth + 1);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>
    /// Reads the "flow" of a control-flow op of <paramref name="graph"/> (at nesting <paramref name="depth"/>, below the limit) whose
    /// <paramref name="inputs"/> are defined; <paramref name="outputs"/> are checked to be in range, not yet defined.
    /// </summary>
    public static ControlFlowOp Read(JsonElement e, string site, int[] inputs, int[] outputs, TracedGraph graph, DefinedValues defined,
        GraphFileContext context, int depth, Func<string, Exception> fail)
    {
        Debug.Assert(depth < MaxNesting, "GraphFileOps refuses a control-flow op nested at the limit");
        string kindName = GraphFileValues.String(e, "kind", fail);
        if (!Enum.GetNames<ControlFlowKind>().Contains(kindName, StringComparer.Ordinal))
            throw fail($"has an unknown control-flow kind '{PrimitiveCodec.Clip(kindName)}' (Cond, While or Scan)");
        var kind = Enum.Parse<ControlFlowKind>(kindName);
        int operandCount = GraphFileValues.Int(e, "operandCount", fail, min: 0);
        int carryCount = GraphFileValues.Int(e, "carryCount", fail, min: 0);
        bool reverse = GraphFileValues.Bool(e, "reverse", fail);
        if (!e.TryGetProperty("maxIterations", out var limit)) throw fail("'maxIterations' is missing");
        int? maxIterations = limit.ValueKind == JsonValueKind.Null ? null
            : GraphFileValues.Int(e, "maxIterations", fail, min: 0);   // any limit is as good as the user's own, as when traced
        if (operandCount > inputs.Length) throw fail($"has {operandCount} operands but {inputs.Length} inputs");

        var operands = inputs[..operandCount].Select(i => graph.Values[i]).ToArray();
        var results = outputs.Select(o => graph.Values[defined.Id(o, fail)]).ToArray();
        var taken = Operands(kind, operands, carryCount, reverse, maxIterations, fail);

        string[] names = BodyNames[(int)kind];
        var bodiesElement = GraphFileValues.Array(e, "bodies", fail, names.Length);
        if (bodiesElement.GetArrayLength() != names.Length) throw fail($"has {bodiesElement.GetArrayLength()} bodies; a {kind} has {names.Length}");
        var bodies = new TracedGraph[names.Length];
        var captureInputs = new int[names.Length][];
        var captured = new bool[inputs.Length - operandCount];
        int b = 0;
        foreach (var body in bodiesElement.EnumerateArray())
        {
            var at = GraphFileReader.In(fail, $"body '{names[b]}'");
            if (body.ValueKind != JsonValueKind.Object) throw at("must be an object");
            context.CountBody(at);
            var map = GraphFileValues.Ints(PrimitiveCodec.Property(body, "captureInputs", JsonValueKind.Array, at), at, "captureInputs",
                min: operandCount, maxLength: GraphFileReader.MaxOpInputs);
            foreach (var i in map)
            {
                if (i >= inputs.Length) throw at($"captures op input {i}, but the op has {inputs.Length} inputs");
                captured[i - operandCount] = true;
            }
            GraphValue[] parameters = [.. taken, .. map.Select(i => graph.Values[inputs[i]])];
            bodies[b] = ReadBody(body, parameters, taken.Length, context, depth + 1, at);
            captureInputs[b++] = map;
        }
        // Every input after the operands is there because a body captured it (ControlFlowOp.Create).
        if (Array.IndexOf(captured, false) is int unread and >= 0)
            throw fail($"its input {operandCount + unread} (%{inputs[operandCount + unread]}) is neither an operand nor captured by a body");
        CheckOutputs(kind, bodies, names, operands, carryCount, results, fail);
        return new ControlFlowOp
        {
            Kind = kind, Site = site, Bodies = bodies, CaptureInputs = captureInputs, OperandCount = operandCount,
            MaxIterations = maxIterations, CarryCount = carryCount, Reverse = reverse,
        };
    }

    /// <summary>Checks the op's fields for its kind and returns the layouts of the explicit arguments its bodies take (before the captures).</summary>
    static GraphValue[] Operands(ControlFlowKind kind, GraphValue[] operands, int carryCount, bool reverse, int? maxIterations, Func<string, Exception> fail)
    {
        switch (kind)
        {
            case ControlFlowKind.Cond:
                if (operands.Length != 1 || carryCount != 0 || reverse || maxIterations is not null)
                    throw fail("a Cond has one operand (the predicate), and no carry count, reverse or iteration limit");
                if (operands[0].Shape.NumElements != 1) throw fail($"its predicate %{operands[0].Id} is {Type(operands[0])}, not one element");
                return [];
            case ControlFlowKind.While:
                if (operands.Length == 0 || carryCount != 0 || reverse) throw fail("a While has at least one operand (the loop variables), and no carry count or reverse");
                return operands;
            default:
                if (carryCount >= operands.Length || maxIterations is not null)
                    throw fail($"a Scan has its carry count ({carryCount}) of operands and then at least one xs, and no iteration limit");
                var xs = operands[carryCount..];
                foreach (var x in xs)
                    if (x.Shape.Rank == 0 || x.Shape[0] != xs[0].Shape[0])
                        throw fail($"its xs %{x.Id} is {Type(x)}; every xs has rank 1 or more and the leading length of the first ({xs[0].Shape})");
                return [.. operands[..carryCount], .. xs.Select(x => new GraphValue(x.Id, new Shape(x.Shape.ToArray()[1..]), x.DType, x.Device))];
        }
    }

    /// <summary>
    /// A body: its values, its parameters (the <paramref name="explicitCount"/> arguments, then the captures, each of
    /// the layout in <paramref name="parameters"/>), its ops and outputs; then its run on zeros.
    /// </summary>
    static TracedGraph ReadBody(JsonElement e, GraphValue[] parameters, int explicitCount, GraphFileContext context, int depth, Func<string, Exception> fail)
    {
        var (graph, defined) = GraphFileReader.ReadValues(e, context, fail);
        var ids = GraphFileValues.Ints(PrimitiveCodec.Property(e, "parameters", JsonValueKind.Array, fail), fail, "parameters", maxLength: GraphFileReader.MaxOpInputs);
        if (ids.Length != parameters.Length)
            throw fail($"has {ids.Length} parameters, but the op passes it {parameters.Length} ({explicitCount} arguments and {parameters.Length - explicitCount} captured input(s))");
        var names = GraphFileValues.Array(e, "parameterNames", fail, GraphFileReader.MaxOpInputs);
        if (names.GetArrayLength() != ids.Length) throw fail($"has {names.GetArrayLength()} parameter names for {ids.Length} parameters");
        int i = 0;
        foreach (var name in names.EnumerateArray())
        {
            var at = GraphFileReader.In(fail, $"parameter {i}");
            if (name.ValueKind != JsonValueKind.String || name.GetString()!.Length > PrimitiveCodec.MaxStringLength) throw at("its name must be a string");
            defined.Define(ids[i], at);
            var value = graph.Values[ids[i]];
            if (!GraphFileReader.Matches(value, parameters[i].Shape, parameters[i].DType, parameters[i].Device))
                throw at($"value %{ids[i]} is {Type(value)}, but the op passes {Type(parameters[i])} (%{parameters[i].Id} of the enclosing graph)");
            graph.Parameters.Add(ids[i]);
            graph.ParameterNames.Add(name.GetString()!);
            i++;
        }
        GraphFileReader.ReadOpsAndOutputs(e, graph, defined, context, depth, fail);
        return graph;
    }

    /// <summary>The bodies' results against each other and against the op's outputs, as ControlFlow checks them when tracing.</summary>
    static void CheckOutputs(ControlFlowKind kind, TracedGraph[] bodies, string[] names, GraphValue[] operands, int carryCount, GraphValue[] results,
        Func<string, Exception> fail)
    {
        GraphValue Out(int b, int i) => bodies[b].Values[bodies[b].Outputs[i]];
        void Count(int b, int count, string what)
        {
            if (bodies[b].Outputs.Count != count) throw fail($"body '{names[b]}' returns {bodies[b].Outputs.Count} values, but {what}");
        }
        void Same(GraphValue actual, GraphValue expected, string what)
        {
            if (!GraphFileReader.Matches(actual, expected.Shape, expected.DType, expected.Device)) throw fail($"{what} is {Type(actual)}, but must be {Type(expected)}");
        }
        switch (kind)
        {
            case ControlFlowKind.Cond:
                if (results.Length == 0) throw fail("a Cond has at least one output");
                for (int b = 0; b < 2; b++)
                {
                    Count(b, results.Length, $"the op has {results.Length} outputs");
                    for (int i = 0; i < results.Length; i++) Same(Out(b, i), results[i], $"output {i} of body '{names[b]}'");
                }
                break;
            case ControlFlowKind.While:
                Count(0, 1, "a cond function returns one predicate");
                if (Out(0, 0).Shape.NumElements != 1) throw fail($"body 'cond' returns {Type(Out(0, 0))}, not a one-element predicate");
                Count(1, operands.Length, $"the loop has {operands.Length} loop variables");
                if (results.Length != operands.Length) throw fail($"has {results.Length} outputs for {operands.Length} loop variables");
                for (int i = 0; i < operands.Length; i++)
                {
                    Same(Out(1, i), operands[i], $"loop variable {i} returned by body 'body'");
                    Same(results[i], operands[i], $"output {i}");
                }
                break;
            default:
                if (bodies[0].Outputs.Count < carryCount) throw fail($"body 'step' returns {bodies[0].Outputs.Count} values, fewer than the carry's {carryCount}");
                if (results.Length != bodies[0].Outputs.Count) throw fail($"has {results.Length} outputs, but body 'step' returns {bodies[0].Outputs.Count} (carry, then ys)");
                int length = operands[carryCount].Shape[0];
                for (int i = 0; i < results.Length; i++)
                {
                    var y = Out(0, i);
                    if (i < carryCount)
                    {
                        Same(y, operands[i], $"carry {i} returned by body 'step'");
                        Same(results[i], operands[i], $"output {i} (carry {i})");
                    }
                    else if (results[i].Shape.Rank != y.Shape.Rank + 1 || results[i].Shape[0] != length
                        || !results[i].Shape.ToArray().AsSpan(1).SequenceEqual(y.Shape.ToArray()) || results[i].DType != y.DType || !results[i].Device.Equals(y.Device))
                        throw fail($"output {i} is {Type(results[i])}, but must be the {length} ys of body 'step' ({Type(y)}) stacked");
                }
                break;
        }
    }

    static string Type(GraphValue v) => $"{v.Shape} {v.DType.TorchName()} on {v.Device}";
}
