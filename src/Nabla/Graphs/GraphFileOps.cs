using System.Text.Json;
using Nabla.Engine;
using Nabla.Primitives;
using Nabla.Primitives.Creation;
using Nabla.Primitives.Movement;
using Nabla.Primitives.Random;
using Nabla.Primitives.Write;

namespace Nabla.Graphs;

/// <summary>
/// Reads one op of a graph file into a <see cref="GraphOp"/>, checking that its kind is one a saved graph
/// may hold, that it has the inputs and outputs that kind and its primitive need, that every input is
/// already defined and every output new, and that constants, aliases, guards and control-flow ops (with their
/// bodies, <see cref="GraphFileFlow"/>) fit their values.
/// </summary>
internal static class GraphFileOps
{
    /// <summary>One op of <paramref name="graph"/>, a top-level graph (<paramref name="depth"/> 0) or a body of a control-flow op.</summary>
    public static GraphOp Parse(JsonElement e, TracedGraph graph, DefinedValues defined, GraphFileContext context, int depth, Func<string, Exception> fail)
    {
        if (e.ValueKind != JsonValueKind.Object) throw fail("must be an object");
        string kindName = GraphFileValues.String(e, "kind", fail);
        if (!Enum.GetNames<GraphOpKind>().Contains(kindName, StringComparer.Ordinal))
            throw fail($"has an unknown kind '{PrimitiveCodec.Clip(kindName)}'");
        var kind = Enum.Parse<GraphOpKind>(kindName);
        string site = GraphFileValues.String(e, "site", fail);
        fail = GraphFileReader.In(fail, $"{kind} at {site}");
        if (kind is not (GraphOpKind.Call or GraphOpKind.Create or GraphOpKind.Transfer or GraphOpKind.Write or GraphOpKind.Constant or GraphOpKind.Alias
            or GraphOpKind.Guard or GraphOpKind.Check or GraphOpKind.ControlFlow))
            throw fail($"a saved graph can't hold a {kind} op (it runs without the source's gradient bookkeeping)");
        // As when traced (TracedBody refuses it): a branch not taken or a loop body must not update tensors.
        if (kind == GraphOpKind.Write && depth > 0) throw fail("a body of Graph.Cond, WhileLoop or Scan can't update a tensor in place");
        // Before anything else of the op is read, so a hostile file's nesting costs no work past the limit.
        if (kind == GraphOpKind.ControlFlow && depth >= GraphFileFlow.MaxNesting)
            throw fail($"its bodies would be nested {depth + 1} deep, above the limit of {GraphFileFlow.MaxNesting}");

        var inputs = GraphFileValues.Ints(PrimitiveCodec.Property(e, "inputs", JsonValueKind.Array, fail), fail, "inputs", maxLength: GraphFileReader.MaxOpInputs);
        var outputs = GraphFileValues.Ints(PrimitiveCodec.Property(e, "outputs", JsonValueKind.Array, fail), fail, "outputs", maxLength: GraphFileReader.MaxOpInputs);
        foreach (var i in inputs)
            if (!defined[defined.Id(i, fail)]) throw fail($"reads value %{i} before anything defines it");
        Primitive? op = e.TryGetProperty("op", out var opElement) ? PrimitiveCodec.Read(opElement, fail) : null;
        var device = GraphFileValues.DeviceOf(PrimitiveCodec.Property(e, "device", JsonValueKind.String, fail), fail, "device");
        bool draws = GraphFileValues.Bool(e, "draws", fail);

        ValueCheck? check = null;
        (Shape, int[], int) layout = default;
        Tensor? constant = null;
        byte[] expected = [];
        string expectedText = "";
        ControlFlowOp? flow = null;
        switch (kind)
        {
            case GraphOpKind.Call:
                if (op is null or CreationPrimitive or Transfer or WritePrimitive) throw fail("needs the primitive of a computation");
                Need(inputs.Length >= 1 && outputs.Length == op.OutputCount, $"{op.Name} takes inputs and makes {op.OutputCount} output(s)");
                break;
            case GraphOpKind.Create:
                if (op is not CreationPrimitive) throw fail("needs a creation primitive (a fill, a range or a random draw)");
                Need(inputs.Length == 0 && outputs.Length == 1, $"{op.Name} takes no inputs and makes one output");
                break;
            case GraphOpKind.Transfer:
                if (op is not Transfer) throw fail("needs the transfer primitive");
                Need(inputs.Length == 1 && outputs.Length == 1, "a transfer takes one input and makes one output");
                break;
            case GraphOpKind.Write:
                if (op is not WritePrimitive) throw fail("needs a write primitive");
                Need(outputs.Length == 0 && op.Writes.Length > 0 && op.Writes.All(w => (uint)w < (uint)inputs.Length), $"{op.Name} writes {op.Writes.Length} of its inputs and makes no output");
                break;
            case GraphOpKind.Constant:
                Need(op is null && inputs.Length == 0 && outputs.Length == 1, "a constant has no primitive, no inputs and one output");
                string name = GraphFileValues.String(e, "constant", fail);
                constant = context.Tensors.GetValueOrDefault(name) ?? throw fail($"its tensor '{PrimitiveCodec.Clip(name)}' is not in the file");
                if (!name.StartsWith(GraphFileWriter.ConstantPrefix, StringComparison.Ordinal) || !context.Used.Add(name))
                    throw fail($"its tensor '{PrimitiveCodec.Clip(name)}' is not a constant of its own (a weight, or another op's)");
                break;
            case GraphOpKind.Alias:
                Need(op is null && inputs.Length == 1 && outputs.Length == 1, "an alias has no primitive, one input and one output");
                layout = AliasLayout(PrimitiveCodec.Property(e, "layout", JsonValueKind.Object, fail), graph, inputs[0], fail);
                break;
            case GraphOpKind.Check:
                Need(op is null && inputs.Length == 1 && outputs.Length == 0, "a check has no primitive, one input and no output");
                check = PrimitiveCodec.ReadCheck(PrimitiveCodec.Property(e, "check", JsonValueKind.Object, fail), fail);
                break;
            case GraphOpKind.Guard:
                Need(op is null && inputs.Length == 1 && outputs.Length == 0, "a guard has no primitive, one input and no output");
                var read = graph.Values[inputs[0]];
                try { expected = Convert.FromBase64String(GraphFileValues.String(e, "expected", fail, int.MaxValue)); }
                catch (FormatException) { throw fail("its expected value is not base64"); }
                if (expected.Length != (long)read.Shape.NumElements * read.DType.ElementSize())
                    throw fail($"its expected value has {expected.Length} bytes, but value %{inputs[0]} ({read.Shape} {read.DType.TorchName()}) has {(long)read.Shape.NumElements * read.DType.ElementSize()}");
                if (read.DType == DType.Bool && expected.AsSpan().IndexOfAnyExcept((byte)0, (byte)1) >= 0) throw fail("its expected booleans must be bytes 0 or 1");
                expectedText = GraphFileValues.String(e, "expectedText", fail);
                break;
            case GraphOpKind.ControlFlow:
                if (op is not null) throw fail("a control-flow op has no primitive (its bodies are graphs)");
                flow = GraphFileFlow.Read(PrimitiveCodec.Property(e, "flow", JsonValueKind.Object, fail), site, inputs, outputs, graph, defined, context, depth, fail);
                break;
        }
        foreach (var o in outputs) defined.Define(o, fail);
        if (kind == GraphOpKind.Alias && (!graph.Values[outputs[0]].Shape.Equals(layout.Item1) || graph.Values[outputs[0]].DType != graph.Values[inputs[0]].DType))
            throw fail($"its layout {layout.Item1} must have the shape of value %{outputs[0]} ({graph.Values[outputs[0]].Shape}), and the dtype of its source");
        if (constant is not null && !GraphFileReader.Matches(graph.Values[outputs[0]], constant.Shape, constant.DType, constant.Device))
            throw fail($"its tensor is {constant.Shape} {constant.DType.TorchName()}, not the layout of value %{outputs[0]}");
        if (kind is GraphOpKind.Create or GraphOpKind.Transfer && !graph.Values[outputs[0]].Device.Equals(device))
            throw fail($"makes value %{outputs[0]} on {device}, but the value is on {graph.Values[outputs[0]].Device}");
        if (draws && op is not IRandomDraws) throw fail("draws random numbers, but its primitive is not a random one");

        return new GraphOp
        {
            Kind = kind, Op = op, Inputs = inputs, Outputs = outputs, Site = site, Device = device,
            GradEnabled = GraphFileValues.Bool(e, "gradEnabled", fail),
            DrawSource = draws ? Generator.Default : null,   // as eager code, the loading process's global generator
            RequiresGrad = GraphFileValues.Bool(e, "requiresGrad", fail),
            Constant = constant, Layout = layout, Expected = expected, ExpectedText = expectedText, Check = check, Flow = flow,
            Cut = kind == GraphOpKind.Alias && e.TryGetProperty("cut", out var cut) ? new GraphCut(cut.ValueKind == JsonValueKind.String ? cut.GetString()! : throw fail("'cut' must be a string")) : null,
        };

        void Need(bool ok, string what)
        {
            if (!ok) throw fail($"has {inputs.Length} input(s) and {outputs.Length} output(s); {what}");
        }
    }

    /// <summary>
    /// An alias's layout: its shape must be its value's, and every element it addresses must lie inside
    /// the memory its source is known to span (an argument's by its signature strides, any other value's
    /// by its element count), so a file cannot make a view that reads past a tensor.
    /// </summary>
    static (Shape, int[], int) AliasLayout(JsonElement e, TracedGraph graph, int source, Func<string, Exception> fail)
    {
        var shape = GraphFileValues.ShapeOf(PrimitiveCodec.Property(e, "shape", JsonValueKind.Array, fail), fail, "layout shape");
        var strides = GraphFileValues.Ints(PrimitiveCodec.Property(e, "strides", JsonValueKind.Array, fail), fail, "layout strides", min: 0, maxLength: Shape.MaxRank);
        int offset = GraphFileValues.Int(e, "offset", fail, min: 0);
        if (strides.Length != shape.Rank) throw fail($"its layout has {strides.Length} strides for a shape of rank {shape.Rank}");
        long reach = offset;
        for (int d = 0; d < shape.Rank; d++) reach += (long)Math.Max(shape[d] - 1, 0) * strides[d];
        var src = graph.Values[source];
        long limit = src.Shape.NumElements - 1;
        if (shape.NumElements > 0 && (src.Shape.NumElements == 0 || reach > limit))
            throw fail($"its layout reaches element {reach} of value %{source}, which has {src.Shape.NumElements}");
        return (shape, strides, offset);
    }
}
