using System.Text.Json.Nodes;
using Nabla.IO;
using Nabla.Tests.IO;

namespace Nabla.Tests.Graphs;

/// <summary>
/// The bodies of Graph.Cond, WhileLoop and Scan in a graph file are checked as strictly as the top-level graph
/// and against their op: truncated, corrupted or hand-edited files with control flow are rejected with an
/// InvalidDataException that names the file and the item (down to the body and op), never another exception
/// and never a hang; a nesting deeper than the limit is refused.
/// </summary>
public class SavedControlFlowHardeningTests
{
    static readonly float[] Input = [0.5f, -1, 2, 0.25f, 3, -0.5f, -2, 1, 0.125f];

    static Tensor Xs() => Tensor.FromArray(Input, [3, 3]);

    /// <summary>A Scan whose step holds a WhileLoop (at most 20 iterations) whose body holds a Cond with a constant in a branch.</summary>
    static byte[] ValidFile()
    {
        var w = new Variable(Tensor.FromArray(new float[] { 0.5f, -0.25f, 0.125f }, [3]), name: "w");
        var compiled = Graph.Compile((Tensor xs) =>
        {
            var (carry, ys) = Graph.Scan((c, x) =>
            {
                var grown = Graph.WhileLoop(v => v.Abs().Sum().Lt(8.0),
                    v => Graph.Cond(v.Sum().Gt(0.0), () => v * 2.0 + w, () => v * 3.0 - Tensor.FromArray(new float[] { 1, 2, 3 }, [3])),
                    x + c, maxIterations: 20);
                return (grown * 0.1, grown);
            }, Tensor.Zeros([3]), xs);
            return ys + carry;
        });
        compiled.Call(Xs());
        var stream = new MemoryStream();
        compiled.Save(stream, includeWeights: true);
        return stream.ToArray();
    }

    static LoadedFunction Load(byte[] file, string name = "f.graph") => CompiledFunction.Load(new MemoryStream(file), sourceName: name);

    [Fact]
    public void TheValidFileHoldsEveryConstructAndLoads()
    {
        var loaded = Load(ValidFile());
        var graph = loaded.GraphFor(Xs());
        foreach (var part in new[] { "= scan(", "= while_loop(", "= cond(", "constant", "graph ifFalse(" })
            Assert.Contains(part, graph);
        Assert.Equal(new[] { 3, 3 }, loaded.Call(Xs()).Shape.ToArray());
    }

    [Fact]
    public void TruncationAtEveryByteIsRejected()
    {
        var file = ValidFile();
        for (int length = 0; length < file.Length; length++)
            Assert.Contains("file 'cut'", Assert.Throws<InvalidDataException>(() => Load(file[..length], "cut")).Message);
    }

    [Fact]
    public void RandomByteFlipsAreRejectedOrGiveAWorkingFunction()
    {
        // Accepted flips: a site's text, a weight's or constant's value, an iteration limit (the user's own, as when traced).
        int rejected = GraphFileFuzz.ByteFlips(ValidFile(), 400, bad => Load(bad), f => f.CallMany(Xs()));
        Assert.InRange(rejected, 200, 400);
    }

    [Fact]
    public void RandomEditsOfTheDescriptionAreRejectedOrGiveAWorkingFunction()
    {
        // Byte flips mostly break the safetensors header (its JSON, its UTF-8); edits that keep the description
        // readable text reach the graph reader: a digit changed (an id, a size, a count), or a JSON token.
        var (tensors, metadata) = Split(ValidFile());
        string text = metadata["nabla.graph"];
        const string Tokens = "0123456789[]{},:\"-";
        int rejected = 0, accepted = 0;
        for (int seed = 0; seed < 1000; seed++)
        {
            var rng = new Random(seed);
            var chars = text.ToCharArray();
            for (int k = 1 + rng.Next(3); k > 0; k--)
            {
                int at = rng.Next(chars.Length);
                chars[at] = char.IsAsciiDigit(chars[at]) || rng.Next(2) == 0 ? (char)('0' + rng.Next(10)) : Tokens[rng.Next(Tokens.Length)];
            }
            var meta = new Dictionary<string, string>(metadata) { ["nabla.graph"] = new string(chars) };
            LoadedFunction loaded;
            try { loaded = Load(SafeTensors.Serialize(tensors, meta), "edited.graph"); }
            catch (InvalidDataException e)
            {
                Assert.StartsWith("Invalid graph file 'edited.graph': ", e.Message);
                rejected++;
                continue;
            }
            catch (ArgumentException) { rejected++; continue; }   // a weight's layout changed: the loader's argument error
            accepted++;
            try { loaded.CallMany(Xs()); }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException) { }
        }
        Assert.True(rejected > 500 && accepted > 50, $"{rejected} rejected, {accepted} accepted");
    }

    /// <summary>The file's description as JSON, and the nodes of its nested constructs.</summary>
    sealed class Description
    {
        public JsonNode Root = null!;
        public JsonObject Scan => FlowOp(Root["graphs"]![0]!, "Scan");
        public JsonObject Step => Body(Scan, 0);
        public JsonObject Loop => FlowOp(Step, "While");
        public JsonObject LoopBody => Body(Loop, 1);
        public JsonObject Cond => FlowOp(LoopBody, "Cond");
        public JsonObject IfFalse => Body(Cond, 1);

        static JsonObject FlowOp(JsonNode graph, string kind) => graph["ops"]!.AsArray().Select(o => o!.AsObject())
            .First(o => (string)o["kind"]! == "ControlFlow" && (string)o["flow"]!["kind"]! == kind);

        public static JsonObject Body(JsonObject op, int b) => op["flow"]!["bodies"]![b]!.AsObject();
    }

    /// <summary>Loads <paramref name="file"/> with its description changed by <paramref name="edit"/>, which must be rejected.</summary>
    static InvalidDataException Rejected(byte[] file, Action<Description> edit)
    {
        var (tensors, metadata) = Split(file);
        var d = new Description { Root = JsonNode.Parse(metadata["nabla.graph"], documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 256 })! };
        edit(d);
        var meta = new Dictionary<string, string>(metadata) { ["nabla.graph"] = d.Root.ToJsonString() };
        var e = Assert.Throws<InvalidDataException>(() => Load(SafeTensors.Serialize(tensors, meta), "edited.graph"));
        Assert.StartsWith("Invalid graph file 'edited.graph': graph 0: ", e.Message);
        return e;
    }

    static readonly Dictionary<string, Action<Description>> Edits = new()
    {
        ["a body with a parameter less"] = d => { d.Step["parameters"]!.AsArray().RemoveAt(0); d.Step["parameterNames"]!.AsArray().RemoveAt(0); },
        ["a body with parameters of another layout"] = d => d.LoopBody["values"]![(int)d.LoopBody["parameters"]![0]!]!["shape"] = new JsonArray(4),
        ["a body reading a value out of range"] = d => FirstCall(d.LoopBody)["inputs"]![0] = 9999,
        ["a body reading a value before it is defined"] = d => FirstCall(d.LoopBody)["inputs"]![0] = (int)d.LoopBody["outputs"]![0]!,
        ["a body returning an undefined value"] = d => d.IfFalse["outputs"]![0] = d.IfFalse["values"]!.AsArray().Count + 3,
        ["branches that disagree"] = d => d.IfFalse["outputs"]![0] = OtherShape(d.IfFalse, (int)d.IfFalse["outputs"]![0]!),
        ["a predicate of three elements"] = d => d.Cond["inputs"]![0] = (int)d.LoopBody["parameters"]![0]!,
        ["a cond function returning a vector"] = d => Description.Body(d.Loop, 0)["outputs"]![0] = (int)Description.Body(d.Loop, 0)["parameters"]![0]!,
        ["a capture of an input the op lacks"] = d => Description.Body(d.Cond, 0)["captureInputs"]![0] = 99,
        ["an input no body reads"] = d => d.Cond["inputs"]!.AsArray().Add((int)d.LoopBody["parameters"]![0]!),
        ["an unknown construct"] = d => d.Loop["flow"]!["kind"] = "Switch",
        ["a missing body"] = d => d.Loop["flow"]!["bodies"]!.AsArray().RemoveAt(1),
        ["a body that is no object"] = d => d.Loop["flow"]!["bodies"]![1] = 5,
        ["an in-place update in a body"] = d => FirstCall(d.LoopBody)["kind"] = "Write",
        ["a stacked ys of the wrong length"] = d => d.Root["graphs"]![0]!["values"]![(int)d.Scan["outputs"]![1]!]!["shape"] = new JsonArray(5, 3),
        ["a negative iteration limit"] = d => d.Loop["flow"]!["maxIterations"] = -1,
        ["a Cond with an iteration limit"] = d => d.Cond["flow"]!["maxIterations"] = 3,
        ["a body's constant taken from another op"] = d => FirstOfKind(d.IfFalse, "Constant")["constant"] = "w",
    };

    static readonly Dictionary<string, string> Messages = new()
    {
        ["a body with a parameter less"] = "body 'step': has 2 parameters, but the op passes it 3 (2 arguments and 1 captured input(s))",
        ["a body with parameters of another layout"] = "body 'body': parameter 0: value %",
        ["a body reading a value out of range"] = "names value %9999, but the graph has",
        ["a body reading a value before it is defined"] = "before anything defines it",
        ["a body returning an undefined value"] = "body 'ifFalse': names value %",
        ["branches that disagree"] = "output 0 of body 'ifFalse' is",
        ["a predicate of three elements"] = "its predicate %",
        ["a cond function returning a vector"] = "body 'cond' returns [3] float32 on cpu, not a one-element predicate",
        ["a capture of an input the op lacks"] = "body 'ifTrue': captures op input 99, but the op has",
        ["an input no body reads"] = "is neither an operand nor captured by a body",
        ["an unknown construct"] = "unknown control-flow kind 'Switch'",
        ["a missing body"] = "has 1 bodies; a While has 2",
        ["a body that is no object"] = "body 'body': must be an object",
        ["an in-place update in a body"] = "a body of Graph.Cond, WhileLoop or Scan can't update a tensor in place",
        ["a stacked ys of the wrong length"] = "but must be the 3 ys of body 'step' ([3] float32 on cpu) stacked",
        ["a negative iteration limit"] = "'maxIterations' must be a whole number >= 0",
        ["a Cond with an iteration limit"] = "a Cond has one operand (the predicate), and no carry count, reverse or iteration limit",
        ["a body's constant taken from another op"] = "is not a constant of its own",
    };

    public static TheoryData<string> EditNames() => [.. Edits.Keys];

    [Theory]
    [MemberData(nameof(EditNames))]
    public void HandEditedBodiesAreRejectedNamingTheItem(string edit)
    {
        var e = Rejected(ValidFile(), Edits[edit]);
        Assert.True(e.Message.Contains(Messages[edit], StringComparison.Ordinal), e.Message);
        Assert.Contains("ControlFlow at ", e.Message);   // the path names the op holding the body
    }

    [Fact]
    public void NestingPastTheLimitIsRefusedBeforeItsBodiesAreRead()
    {
        int limit = Nabla.Graphs.GraphFileFlow.MaxNesting;
        static Tensor Deep(Tensor x, int depth) => depth == 0 ? x + 1.0 : Graph.Cond(x.Sum().Gt(-1e9), () => Deep(x, depth - 1) * 1.0, () => x - 1.0);
        var compiled = Graph.Compile((Tensor x) => Deep(x, limit));
        compiled.Call(Tensor.Ones([2]));
        var stream = new MemoryStream();
        compiled.Save(stream);
        var e = Rejected(stream.ToArray(), d =>
        {
            // The innermost Cond gets a copy of itself in its ifTrue branch: one level past the limit.
            var op = d.Root["graphs"]![0]!["ops"]!.AsArray().Last()!.AsObject();
            for (int level = 1; level < limit; level++) op = FirstOfKind(Description.Body(op, 0), "ControlFlow");
            Description.Body(op, 0)["ops"]!.AsArray().Insert(0, op.DeepClone());
        });
        Assert.Contains($"its bodies would be nested {limit + 1} deep, above the limit of {limit}", e.Message);
    }

    [Fact]
    public void ADescriptionNestedThousandsDeepIsRefusedByTheParser()
    {
        var (tensors, metadata) = Split(ValidFile());
        var text = metadata["nabla.graph"];
        int at = text.IndexOf("\"ops\":[", StringComparison.Ordinal) + "\"ops\":[".Length;
        var deep = text[..at] + new string('[', 5000) + new string(']', 5000) + "," + text[at..];
        var meta = new Dictionary<string, string>(metadata) { ["nabla.graph"] = deep };
        var e = Assert.Throws<InvalidDataException>(() => Load(SafeTensors.Serialize(tensors, meta), "deep.graph"));
        Assert.StartsWith("Invalid graph file 'deep.graph': the graph description is not valid JSON", e.Message);
    }

    static JsonObject FirstCall(JsonObject graph) => FirstOfKind(graph, "Call");

    static JsonObject FirstOfKind(JsonObject graph, string kind) =>
        graph["ops"]!.AsArray().Select(o => o!.AsObject()).First(o => (string)o["kind"]! == kind);

    /// <summary>A value of <paramref name="graph"/> whose shape differs from value <paramref name="id"/>'s.</summary>
    static int OtherShape(JsonObject graph, int id)
    {
        var values = graph["values"]!.AsArray();
        string shape = values[id]!["shape"]!.ToJsonString();
        for (int v = 0; v < values.Count; v++)
            if (values[v]!["shape"]!.ToJsonString() != shape) return v;
        throw new InvalidOperationException("no value of another shape");
    }

    static (Dictionary<string, Tensor>, IReadOnlyDictionary<string, string>) Split(byte[] file)
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("x.graph"), file);
        return SafeTensors.LoadWithMetadata(dir.File("x.graph"));
    }
}
