using Nabla.IO;
using Nabla.Tests.IO;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A graph file is checked completely before anything runs: truncated, corrupted or hand-edited files are
/// rejected with an InvalidDataException that names the file and the item, never a crash or a hang.
/// </summary>
public class SavedFileHardeningTests
{
    static readonly float[] Input = [0.5f, -1, 2];

    /// <summary>A small file with every op kind a saved graph holds: create, call, constant, alias, guard, write.</summary>
    static byte[] ValidFile()
    {
        var w = new Variable(Tensor.FromArray(new float[] { 1, -2, 3 }, [3]), name: "w");
        var compiled = Graph.Compile((Tensor x) =>
        {
            var c = Tensor.FromArray(new float[] { 0.25f, 0.5f, 1 }, [3]);
            var y = (x * w + c).Relu();
            double scale = y.Sum().Item<float>() > 0 ? 2.0 : 1.0;   // a guard (read before any write, so it can retrace)
            var d = y.Detach();
            d.AddInPlace(1.0);
            return d.Reshape(3, 1).T * scale;
        });
        compiled.Call(Tensor.FromArray(Input, [3]));
        var stream = new MemoryStream();
        compiled.Save(stream, includeWeights: true);
        return stream.ToArray();
    }

    static LoadedFunction Load(byte[] file, string name = "f.graph") => CompiledFunction.Load(new MemoryStream(file), sourceName: name);

    [Fact]
    public void TheValidFileHoldsEveryKindAndLoads()
    {
        var file = ValidFile();
        var loaded = Load(file);
        var graph = loaded.GraphFor(Tensor.FromArray(Input, [3]));
        foreach (var op in new[] { "full()", "mul(", "constant", "alias", "guard", "assign(", "reshape(" })
            Assert.True(graph.Contains(op, StringComparison.Ordinal) || graph.Contains(op.TrimEnd('('), StringComparison.Ordinal), $"{op} not in\n{graph}");
        // relu([0.75, 2.5, 7]) + 1, times 2
        Assert.Equal(new float[] { 3.5f, 7, 16 }, loaded.Call(Tensor.FromArray(Input, [3])).ToArray<float>());
    }

    [Fact]
    public void TruncationAtEveryByteIsRejected()
    {
        var file = ValidFile();
        for (int length = 0; length < file.Length; length++)
        {
            var e = Assert.Throws<InvalidDataException>(() => Load(file[..length], "cut"));
            Assert.Contains("file 'cut'", e.Message);
        }
    }

    [Fact]
    public void RandomByteFlipsAreRejectedOrGiveAWorkingFunction()
    {
        int rejected = GraphFileFuzz.ByteFlips(ValidFile(), 600, bad => Load(bad), f => f.CallMany(Tensor.FromArray(Input, [3])));
        Assert.InRange(rejected, 300, 600);   // most flips hit the header, most of the file
    }

    public static TheoryData<string, string, string> Edits() => new()
    {
        { "\"kind\":\"Call\"", "\"kind\":\"HostEffect\"", "can't hold a HostEffect op" },
        { "\"kind\":\"Call\"", "\"kind\":\"Teleport\"", "unknown kind 'Teleport'" },
        { "Nabla.Primitives.Elementwise.Mul", "System.Diagnostics.Process", "'System.Diagnostics.Process' is not a primitive of this version of Nabla" },
        { "Nabla.Primitives.Elementwise.Mul", "Nabla.Primitives.Custom.CustomOutput", "is not a primitive of this version of Nabla" },
        { "\"outputShape\":[3,1]", "\"outputShape\":[3,5]", "does not fit its values" },
        { "\"outputShape\":[3,1]", "\"outputShape\":[3,1],\"evil\":1", "has no field 'evil'" },
        { "\"outputShape\":[3,1]", "\"outputShape\":\"x\"", "must be a Int32[]" },
        { "\"inputs\":[0,", "\"inputs\":[99,", "names value %99, but the graph has" },
        { "\"gradEnabled\":true},", "\"gradEnabled\":1},", "'gradEnabled' must be true or false" },
        { "\"dtype\":\"Float32\"", "\"dtype\":\"Float16\"", "must be a dtype name" },
        { "\"device\":\"cpu\"", "\"device\":\"cuda:7\"", "must be a device this process has" },
        { "\"shape\":[3]", "\"shape\":[" + string.Join(",", Enumerable.Repeat(1, 65)) + "]", "above the limit of 64" },
        { "\"expected\":\"", "\"expected\":\"AAAA", "its expected value has" },
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public void HandEditedDescriptionsAreRejectedNamingTheItem(string from, string to, string message)
    {
        var file = ValidFile();
        var (tensors, metadata) = Split(file);
        Assert.Contains(from, metadata["nabla.graph"]);
        var meta = new Dictionary<string, string>(metadata) { ["nabla.graph"] = ReplaceFirst(metadata["nabla.graph"], from, to) };
        var e = Assert.Throws<InvalidDataException>(() => Load(SafeTensors.Serialize(tensors, meta), "edited.graph"));
        Assert.StartsWith("Invalid graph file 'edited.graph': ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void AReadBeforeItsValueIsDefinedIsRejected()
    {
        var (tensors, metadata) = Split(ValidFile());
        var text = metadata["nabla.graph"];
        // The first call reads the graph's output, which only the last op defines.
        using var doc = System.Text.Json.JsonDocument.Parse(text);
        int output = doc.RootElement.GetProperty("graphs")[0].GetProperty("outputs")[0].GetInt32();
        var reads = ReplaceFirst(text, "\"inputs\":[0,", $"\"inputs\":[{output},");
        Assert.NotEqual(text, reads);
        var e = Assert.Throws<InvalidDataException>(() => Load(SafeTensors.Serialize(tensors, new Dictionary<string, string>(metadata) { ["nabla.graph"] = reads })));
        Assert.Contains($"reads value %{output} before anything defines it", e.Message);
    }

    [Fact]
    public void AnExtraTensorInTheFileIsRejected()
    {
        var (tensors, metadata) = Split(ValidFile());
        tensors["stowaway"] = Tensor.Zeros([1]);
        var e = Assert.Throws<InvalidDataException>(() => Load(SafeTensors.Serialize(tensors, metadata)));
        Assert.Contains("tensor 'stowaway' is neither a weight nor a constant", e.Message);
    }

    [Fact]
    public void APlainSafetensorsFileIsNotAGraph()
    {
        var file = SafeTensors.Serialize(new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros([2]) });
        Assert.Contains("without a graph", Assert.Throws<InvalidDataException>(() => Load(file)).Message);
        var (tensors, metadata) = Split(ValidFile());
        var other = SafeTensors.Serialize(tensors, new Dictionary<string, string>(metadata) { ["format"] = "pt" });
        Assert.Contains("without a graph", Assert.Throws<InvalidDataException>(() => Load(other)).Message);
        var newer = SafeTensors.Serialize(tensors, new Dictionary<string, string>(metadata) { ["nabla.graph.version"] = "2" });
        Assert.Contains("its graph format version is '2', and this Nabla reads version 1", Assert.Throws<InvalidDataException>(() => Load(newer)).Message);
    }

    [Fact]
    public void SavingIsAtomicAndLoadingAPathNamesIt()
    {
        using var dir = new TempDirectory();
        var compiled = Graph.Compile((Tensor x) => x + 1.0);
        compiled.Call(Tensor.Zeros([2]));
        compiled.Save(dir.File("f.graph"));
        Assert.Equal(["f.graph"], dir.Entries());   // no temporary file left
        File.WriteAllBytes(dir.File("g.graph"), File.ReadAllBytes(dir.File("f.graph"))[..40]);
        var e = Assert.Throws<InvalidDataException>(() => CompiledFunction.Load(dir.File("g.graph")));
        Assert.Contains(dir.File("g.graph"), e.Message);
    }

    static (Dictionary<string, Tensor>, IReadOnlyDictionary<string, string>) Split(byte[] file)
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("x.graph"), file);
        return SafeTensors.LoadWithMetadata(dir.File("x.graph"));
    }

    static string ReplaceFirst(string text, string from, string to)
    {
        int at = text.IndexOf(from, StringComparison.Ordinal);
        return at < 0 ? text : text[..at] + to + text[(at + from.Length)..];
    }
}
