using Nabla.Engine;
using System.Text;
using System.Text.Json;
using Nabla.NN;

namespace Nabla.Graphs;

/// <summary>
/// Lays out the graphs of a compiled function as a safetensors file: the description (signatures,
/// values, ops with their primitives' fields, guards) as JSON in <c>__metadata__["nabla.graph"]</c>,
/// the graphs' constants as tensors, and on request the captured tensors (weights) under their names.
/// Graph.Cond, WhileLoop and Scan are written with their bodies as graphs of their own inside the op
/// (<see cref="GraphFileFlow"/>). Only what can run without the C# source is accepted: ops that call back into C#
/// (backward passes, .Grad reads and writes, guards on C# state, custom functions) make saving throw, naming the op and its line.
/// </summary>
internal static class GraphFileWriter
{
    public const string Format = "nabla.graph";
    public const string Version = "1";
    public const string GraphKey = "nabla.graph";
    public const string FormatKey = "format";
    public const string VersionKey = "nabla.graph.version";
    public const string ConstantPrefix = "nabla.constant.";

    /// <summary>The tensors and metadata of the file for <paramref name="graphs"/>.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Build(
        string name, IReadOnlyList<string> parameterNames, IReadOnlyList<(Signature Key, TracedGraph Graph)> graphs, Module? module, bool includeWeights)
    {
        const string op = "CompiledFunction.Save";
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var captures = CaptureNames(graphs, module, reserved: n => n.StartsWith(ConstantPrefix, StringComparison.Ordinal));

        var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteStartArray("parameterNames");
            foreach (var p in parameterNames) json.WriteStringValue(p);
            json.WriteEndArray();
            json.WriteStartArray("captures");
            foreach (var (tensor, captureName) in captures)
            {
                json.WriteStartObject();
                json.WriteString("name", captureName);
                WriteLayout(json, tensor.Shape, tensor.DType, tensor.Device);
                json.WriteEndObject();
                if (includeWeights) tensors.Add(captureName, tensor);
            }
            json.WriteEndArray();
            json.WriteStartArray("graphs");
            for (int g = 0; g < graphs.Count; g++)
            {
                var (key, graph) = graphs[g];
                if (graph.HostGuards.FirstOrDefault(g => !IsModuleMode(g)) is { } guard)
                    throw Errors.State(op, $"{name}'s graph for arguments ({key}) guards C# state ({guard.What}, read at {guard.Site}), which a saved " +
                        "function cannot read; save a function of tensors only (an inference function, without an optimizer step).");
                json.WriteStartObject();
                WriteSignature(json, key);
                WriteValues(json, graph);
                WriteInts(json, "parameters", graph.Parameters);
                json.WriteStartArray("captures");
                foreach (var (id, tensor) in graph.Captures)
                {
                    json.WriteStartArray();
                    json.WriteNumberValue(captures.FindIndex(c => ReferenceEquals(c.Tensor, tensor)));
                    json.WriteNumberValue(id);
                    json.WriteEndArray();
                }
                json.WriteEndArray();
                WriteInts(json, "outputs", graph.Outputs);
                WriteOps(json, graph, $"{ConstantPrefix}{g}", tensors, name, key, depth: 0);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = Format,
            [VersionKey] = Version,
            [GraphKey] = Encoding.UTF8.GetString(stream.ToArray()),
        };
        return (tensors, metadata);
    }

    /// <summary>The "ops" array of a graph or a body; <paramref name="constantPrefix"/> names its constants uniquely in the file.</summary>
    internal static void WriteOps(Utf8JsonWriter json, TracedGraph graph, string constantPrefix, Dictionary<string, Tensor> tensors, string name, Signature key, int depth)
    {
        json.WriteStartArray("ops");
        for (int k = 0; k < graph.Ops.Count; k++) WriteOp(json, graph.Ops[k], $"{constantPrefix}.{k}", tensors, name, key, depth);
        json.WriteEndArray();
    }

    static void WriteOp(Utf8JsonWriter json, GraphOp op, string constantName, Dictionary<string, Tensor> tensors, string name, Signature key, int depth)
    {
        if (op.Kind is GraphOpKind.HostEffect || op.Rebuild is not null)
            throw Errors.State("CompiledFunction.Save", $"{name}'s graph for arguments ({key}) has {(op.Kind is GraphOpKind.HostEffect ? $"a C# effect ({op.Effect!.What})" : $"an op ({op.Op!.Name}) rebuilt from C# state on every call")} " +
                $"at {op.Site}: it depends on objects of the running program (an optimizer), so it can't be saved. Save a function that computes " +
                "outputs from its inputs (a model's forward), not a training step.");
        if (op.Kind is GraphOpKind.ControlFlow && depth >= GraphFileFlow.MaxNesting)
            throw Errors.State("CompiledFunction.Save", $"{name}'s graph for arguments ({key}) has a {op.Flow!.Api} at {op.Site} nested inside " +
                $"{depth} others; a graph file holds control flow nested at most {GraphFileFlow.MaxNesting} deep (so that loading can refuse a " +
                "hostile file's nesting). Move the innermost constructs out of their bodies.");
        if (op.Kind is GraphOpKind.Custom)
            throw Errors.State("CompiledFunction.Save", $"{name}'s graph for arguments ({key}) calls the custom function '{op.Custom!.Name}' at {op.Site}; " +
                "its Forward and Backward are C# code that runs on every call, which a saved function (run without the C# source) cannot hold. " +
                "Write it with Tensor ops instead of a CustomFunction / CustomGradient, or save a function that does not call it.");
        if (op.Kind is GraphOpKind.SetGrad or GraphOpKind.GradOf or GraphOpKind.GradGuard)
            throw Errors.State("CompiledFunction.Save", $"{name}'s graph for arguments ({key}) has a {Describe(op.Kind)} at {op.Site}; a saved function " +
                "runs without the engine's gradient bookkeeping of the traced call, so it is for inference: save a function that computes outputs " +
                "from its inputs (a model's forward), not a training step.");
        json.WriteStartObject();
        json.WriteString("kind", op.Kind.ToString());
        if (op.Op is not null)
        {
            json.WritePropertyName("op");
            PrimitiveCodec.Write(json, op.Op, $"CompiledFunction.Save: {name}, op at {op.Site}");
        }
        WriteInts(json, "inputs", op.Inputs);
        WriteInts(json, "outputs", op.Outputs);
        json.WriteString("site", op.Site);
        json.WriteBoolean("gradEnabled", op.GradEnabled);
        json.WriteString("device", op.Device.ToString());
        // A random op that drew from a generator draws again from the loading process's global one.
        json.WriteBoolean("draws", op.DrawSource is not null);
        json.WriteBoolean("requiresGrad", op.RequiresGrad);
        if (op.Constant is { } constant)
        {
            json.WriteString("constant", constantName);
            tensors.Add(constantName, constant);
        }
        if (op.Kind == GraphOpKind.Alias)
        {
            json.WriteStartObject("layout");
            WriteInts(json, "shape", op.Layout.Shape.ToArray());
            WriteInts(json, "strides", op.Layout.Strides);
            json.WriteNumber("offset", op.Layout.RelativeOffset);
            json.WriteEndObject();
            if (op.Cut is { } cut) json.WriteString("cut", cut.Reason);
        }
        if (op.Check is { } check)
        {
            json.WritePropertyName("check");
            PrimitiveCodec.WriteCheck(json, check, $"CompiledFunction.Save: {name}, check at {op.Site}");
        }
        if (op.Kind == GraphOpKind.Guard)
        {
            json.WriteString("expected", Convert.ToBase64String(op.Expected));
            json.WriteString("expectedText", op.ExpectedText);
        }
        if (op.Flow is { } flow) GraphFileFlow.Write(json, flow, constantName, tensors, name, key, depth);
        json.WriteEndObject();
    }

    /// <summary>
    /// A guard on a module's train/eval mode: the saved graph keeps the mode it was traced in (as torch.jit.trace
    /// does), so it needs no module at run time; only graphs whose modes hold now are saved.
    /// </summary>
    public static bool IsModuleMode(HostStateGuard guard) => guard.Probe.Target is Module;

    static string Describe(GraphOpKind kind) => kind switch
    {
        GraphOpKind.SetGrad => "write to .Grad",
        GraphOpKind.GradOf => "read of .Grad",
        _ => "check of whether a .Grad is null",
    };

    static void WriteSignature(Utf8JsonWriter json, Signature key)
    {
        json.WriteStartObject("signature");
        json.WriteStartArray("args");
        foreach (var a in key.Args)
        {
            json.WriteStartObject();
            WriteLayout(json, a.Shape, a.DType, a.Device);
            WriteInts(json, "strides", a.Strides);
            json.WriteBoolean("requiresGrad", a.RequiresGrad);
            json.WriteNumber("sameAs", a.SameAs);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteBoolean("gradEnabled", key.GradEnabled);
        json.WriteEndObject();
    }

    internal static void WriteValues(Utf8JsonWriter json, TracedGraph graph)
    {
        json.WriteStartArray("values");
        foreach (var v in graph.Values)
        {
            json.WriteStartObject();
            WriteLayout(json, v.Shape, v.DType, v.Device);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    static void WriteLayout(Utf8JsonWriter json, Shape shape, DType dtype, Device device)
    {
        WriteInts(json, "shape", shape.ToArray());
        json.WriteString("dtype", dtype.ToString());
        json.WriteString("device", device.ToString());
    }

    internal static void WriteInts(Utf8JsonWriter json, string name, IEnumerable<int> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values) json.WriteNumberValue(v);
        json.WriteEndArray();
    }

    /// <summary>
    /// A unique name for every tensor the graphs capture, in order of first use: the module's parameter or
    /// buffer name ("fc1.weight") when compiled from a module, else a Variable's name, else capture{i}.
    /// </summary>
    static List<(Tensor Tensor, string Name)> CaptureNames(IReadOnlyList<(Signature, TracedGraph Graph)> graphs, Module? module, Func<string, bool> reserved)
    {
        var known = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        if (module is not null)
        {
            foreach (var (n, p) in module.NamedParameters()) known.TryAdd(p, n);
            foreach (var (n, b) in module.NamedBuffers()) known.TryAdd(b, n);
        }
        var result = new List<(Tensor, string)>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (_, graph) in graphs)
            foreach (var (_, t) in graph.Captures)
            {
                if (!seen.Add(t)) continue;
                string wanted = known.TryGetValue(t, out var n) ? n : t is Variable v ? v.Name : $"capture{result.Count}";
                string unique = wanted;
                for (int k = 1; !taken.Add(unique) || reserved(unique); k++) unique = $"{wanted}_{k}";
                result.Add((t, unique));
            }
        return result;
    }
}
