using Nabla.IO;
using Nabla.NN;
using Nabla.Tests.IO;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A compiled function saved with CompiledFunction.Save and loaded with CompiledFunction.Load runs its graphs
/// without the C# function: the loaded function must give bitwise the compiled (and eager) results, on the
/// traced arguments and on new ones of the same signature, with weights from the file or given by name.
/// </summary>
// Draws from (and reseeds) the process-wide generator: runs alone, so no other test draws in between.
[Collection("Default generator")]
public class SavedFunctionTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static Tensor Data(int[] shape, int seed) => Tensor.Randn(shape, seed: seed);

    static Sequential Mlp() => new(new Linear(6, 8, seed: 1), new ReLU(), new Linear(8, 3, seed: 2), new Tanh());

    [Fact]
    public void MlpModuleSavedWithWeightsGivesBitwiseTheCompiledResult()
    {
        using var dir = new TempDirectory();
        var net = Mlp();
        var compiled = Graph.Compile(net);
        var x = Data([5, 6], 3);
        var traced = F(compiled.Call(x));
        compiled.Save(dir.File("mlp.graph"), includeWeights: true);

        var loaded = CompiledFunction.Load(dir.File("mlp.graph"));
        Assert.Equal(traced, F(loaded.Call(x)));
        var x2 = Data([5, 6], 4);
        Assert.Equal(F(net.Call(x2)), F(loaded.Call(x2)));   // new data, same signature: eager's bits
        Assert.Equal(["0.bias", "0.weight", "2.bias", "2.weight"], loaded.WeightNames.Order(StringComparer.Ordinal));
        Assert.Equal(F(net.NamedParameters().Single(p => p.Name == "2.weight").Parameter), F(loaded.Weights["2.weight"]));
        Assert.Equal(1, loaded.GraphCount);
    }

    [Fact]
    public void CnnWithBatchNormInEvalModeReplaysBitwiseAfterLoading()
    {
        using var dir = new TempDirectory();
        var net = new Sequential(new Conv2d(2, 4, 3, padding: 1, seed: 5), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(4 * 3 * 3, 5, seed: 6));
        // A few training batches, so the running statistics are not the initial 0 and 1.
        for (int i = 0; i < 3; i++) net.Call(Data([4, 2, 6, 6], 10 + i));
        net.Eval();
        var compiled = Graph.Compile(net);
        var x = Data([3, 2, 6, 6], 20);
        var eager = F(net.Call(x));
        Assert.Equal(eager, F(compiled.Call(x)));
        compiled.Save(dir.File("cnn.graph"), includeWeights: true);

        var loaded = CompiledFunction.Load(dir.File("cnn.graph"));
        Assert.Equal(eager, F(loaded.Call(x)));
        var x2 = Data([3, 2, 6, 6], 21);
        Assert.Equal(F(net.Call(x2)), F(loaded.Call(x2)));
        Assert.Contains("1.running_mean", loaded.WeightNames);
        Assert.Equal(F(net.NamedBuffers().Single(b => b.Name == "1.running_var").Buffer), F(loaded.Weights["1.running_var"]));
    }

    [Fact]
    public void OnlyTheGraphsOfTheModulesCurrentModeAreSaved()
    {
        using var dir = new TempDirectory();
        var net = new Sequential(new Linear(3, 3, seed: 1), new BatchNorm1d(3));
        var compiled = Graph.Compile(net);
        var x = Data([4, 3], 2);
        compiled.Call(x);                 // train mode: a graph that updates the running statistics
        net.Eval();
        var expected = F(compiled.Call(x));   // eval mode: a second graph
        compiled.Save(dir.File("bn.graph"), includeWeights: true);
        var loaded = CompiledFunction.Load(dir.File("bn.graph"));
        Assert.Equal(1, loaded.GraphCount);
        Assert.Equal(expected, F(loaded.Call(x)));
    }

    static Tensor SignBranch(Tensor x) => x.Sum().Item<float>() > 0 ? x * 2.0 : x * 3.0;

    [Fact]
    public void GuardedFunctionTakesEachSavedBranchAndRefusesAnUntracedOne()
    {
        using var dir = new TempDirectory();
        var compiled = Graph.Compile(SignBranch);
        var pos = Tensor.FromArray(new float[] { 1, 2 }, [2]);
        var neg = Tensor.FromArray(new float[] { -1, -2 }, [2]);
        compiled.Call(pos);
        compiled.Save(dir.File("pos.graph"));
        compiled.Call(neg);
        compiled.Save(dir.File("both.graph"));

        var both = CompiledFunction.Load(dir.File("both.graph"));
        Assert.Equal(2, both.GraphCount);
        Assert.Equal(new float[] { 2, 4 }, F(both.Call(pos)));
        Assert.Equal(new float[] { -3, -6 }, F(both.Call(neg)));
        // The guard compares the value read (3 or -3), as the compiled function does: another positive sum is no saved trace.
        Assert.Throws<InvalidOperationException>(() => both.Call(Tensor.FromArray(new float[] { 5, -4 }, [2])));
        Assert.Throws<InvalidOperationException>(() => CompiledFunction.Load(dir.File("pos.graph")).Call(neg));
    }

    [Fact]
    public void AGuardValueNoSavedGraphWasTracedForIsAnErrorNamingTheLine()
    {
        using var dir = new TempDirectory();
        var compiled = Graph.Compile(SignBranch);
        compiled.Call(Tensor.FromArray(new float[] { 1, 2 }, [2]));
        compiled.Save(dir.File("pos.graph"));
        var loaded = CompiledFunction.Load(dir.File("pos.graph"));
        Assert.Equal(new float[] { 2, 4 }, F(loaded.Call(Tensor.FromArray(new float[] { 1, 2 }, [2]))));
        var e = Assert.Throws<InvalidOperationException>(() => loaded.Call(Tensor.FromArray(new float[] { -1, -2 }, [2])));
        Assert.Contains("SavedFunctionTests.cs", e.Message);
        Assert.Contains("value 3 -> -3", e.Message);
        Assert.Contains("cannot trace a new graph", e.Message);
    }

    [Fact]
    public void MultiOutputFunctionReturnsEveryOutputInOrder()
    {
        using var dir = new TempDirectory();
        var w = new Variable(Data([3], 1), name: "w");
        var compiled = Graph.Compile((Tensor[] xs) => [xs[0] * w + xs[1], (xs[0] - xs[1]).Exp(), xs[1].Sum()]);
        var a = Data([2, 3], 2);
        var b = Data([2, 3], 3);
        var traced = compiled.Call([a, b]);
        compiled.Save(dir.File("multi.graph"), includeWeights: true);
        var loaded = CompiledFunction.Load(dir.File("multi.graph"));
        var outputs = loaded.CallMany(a, b);
        Assert.Equal(3, outputs.Length);
        for (int i = 0; i < 3; i++) Assert.Equal(F(traced[i]), F(outputs[i]));
        Assert.Equal(["w"], loaded.WeightNames);
        Assert.Contains("returns 3 tensors, not one", Assert.Throws<InvalidOperationException>(() => loaded.Call(a, b)).Message);
    }

    [Fact]
    public void WeightsSavedSeparatelyAreTakenByNameAndReadByReference()
    {
        using var dir = new TempDirectory();
        var net = Mlp();
        var compiled = Graph.Compile(net);
        var x = Data([2, 6], 7);
        var expected = F(compiled.Call(x));
        compiled.Save(dir.File("mlp.graph"));   // no weights
        Assert.Equal(["format", "nabla.graph", "nabla.graph.version"], SafeTensors.ReadMetadata(dir.File("mlp.graph")).Keys.Order(StringComparer.Ordinal));
        Assert.Empty(SafeTensors.ReadHeader(dir.File("mlp.graph")).Tensors);

        var e = Assert.Throws<ArgumentException>(() => CompiledFunction.Load(dir.File("mlp.graph")));
        Assert.Contains("no weights for '0.weight', '0.bias', '2.weight', '2.bias'", e.Message);

        SafeTensors.Save(dir.File("weights.safetensors"), net.StateDict());
        var weights = SafeTensors.Load(dir.File("weights.safetensors"));
        var loaded = CompiledFunction.Load(dir.File("mlp.graph"), weights);
        Assert.Equal(expected, F(loaded.Call(x)));

        // By reference: an in-place change to a weight given is seen by the next call, as for a capture.
        weights["2.bias"].AddInPlace(1.0);
        var bias = net.NamedParameters().Single(p => p.Name == "2.bias").Parameter;
        using (Autograd.NoGrad()) bias.AddInPlace(1.0);
        Assert.Equal(F(net.Call(x)), F(loaded.Call(x)));
    }

    [Fact]
    public void AWeightOfAnotherShapeIsRefusedNamingIt()
    {
        using var dir = new TempDirectory();
        var net = Mlp();
        var compiled = Graph.Compile(net);
        compiled.Call(Data([2, 6], 7));
        compiled.Save(dir.File("mlp.graph"));
        var weights = net.StateDict();
        weights["0.bias"] = Tensor.Zeros([9]);
        var e = Assert.Throws<ArgumentException>(() => CompiledFunction.Load(dir.File("mlp.graph"), weights));
        Assert.Contains("weight '0.bias' is [9] float32 on cpu, but the graphs were traced with [8] float32 on cpu", e.Message);
    }

    [Fact]
    public void AnEditedWeightInTheFileChangesTheResults()
    {
        using var dir = new TempDirectory();
        var net = Mlp();
        var compiled = Graph.Compile(net);
        var x = Data([3, 6], 8);
        var before = F(compiled.Call(x));
        compiled.Save(dir.File("mlp.graph"), includeWeights: true);

        var (tensors, metadata) = SafeTensors.LoadWithMetadata(dir.File("mlp.graph"));
        tensors["0.weight"] = tensors["0.weight"] * 2.0;
        SafeTensors.Save(dir.File("edited.graph"), tensors, metadata);
        var edited = F(CompiledFunction.Load(dir.File("edited.graph")).Call(x));

        var w = net.NamedParameters().Single(p => p.Name == "0.weight").Parameter;
        w.Assign(w * 2.0);
        Assert.Equal(F(net.Call(x)), edited);
        Assert.NotEqual(before, edited);
    }

    [Fact]
    public void RandomOpsDrawFromTheLoadingProcesssGlobalGeneratorAsEager()
    {
        using var dir = new TempDirectory();
        static Tensor Noisy(Tensor x) => Functional.Dropout(x, 0.5) + Tensor.Rand([4]);
        var compiled = Graph.Compile(Noisy);
        var x = Tensor.Ones([4]);
        compiled.Call(x);
        compiled.Save(dir.File("noisy.graph"));
        var loaded = CompiledFunction.Load(dir.File("noisy.graph"));

        Generator.Default.Reset(123);
        var eager1 = F(Noisy(x));
        var eager2 = F(Noisy(x));
        Generator.Default.Reset(123);
        Assert.Equal(eager1, F(loaded.Call(x)));
        Assert.Equal(eager2, F(loaded.Call(x)));   // fresh draws on every call
        Assert.NotEqual(eager1, eager2);
    }

    [Fact]
    public void SpecialScalarsKeepTheirBits()
    {
        using var dir = new TempDirectory();
        var compiled = Graph.Compile((Tensor[] xs) => [xs[0] * -0.0, xs[0] + double.NegativeInfinity, xs[0] * double.NaN, xs[0] * 0.1]);
        var x = Tensor.FromArray(new double[] { 1, -2.5 }, [2]);
        var traced = compiled.Call([x]);
        compiled.Save(dir.File("s.graph"));
        var loaded = CompiledFunction.Load(dir.File("s.graph")).CallMany(x);
        for (int i = 0; i < traced.Length; i++)
            Assert.Equal(traced[i].ToArray<double>().Select(BitConverter.DoubleToInt64Bits), loaded[i].ToArray<double>().Select(BitConverter.DoubleToInt64Bits));
    }

    [Theory]
    [InlineData(-0.0)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(0.1)]
    [InlineData(-1e-310)]
    public void PrimitiveParametersRoundTripBitForBit(double value)
    {
        var op = new Nabla.Primitives.Creation.Full([2, 3], DType.Float64, value);
        var stream = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(stream)) Nabla.Graphs.PrimitiveCodec.Write(json, op, "test");
        using var doc = System.Text.Json.JsonDocument.Parse(stream.ToArray());
        var back = Assert.IsType<Nabla.Primitives.Creation.Full>(Nabla.Graphs.PrimitiveCodec.Read(doc.RootElement, m => new InvalidDataException(m)));
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(back.Value));
        Assert.Equal([2, 3], back.Shape);
        Assert.Equal(DType.Float64, back.DType);
    }

    [Fact]
    public void ArgumentsOfAnUntracedSignatureAreRefusedListingTheSavedOnes()
    {
        using var dir = new TempDirectory();
        var compiled = Graph.Compile((Tensor x) => x * 2.0);
        compiled.Call(Tensor.Zeros([2, 3]));
        compiled.Save(dir.File("f.graph"));
        var loaded = CompiledFunction.Load(dir.File("f.graph"));
        var e = Assert.Throws<ArgumentException>(() => loaded.Call(Tensor.Zeros([4, 3])));
        Assert.Contains("no saved graph for arguments ([4, 3] float32 cpu)", e.Message);
        Assert.Contains("graphs for: ([2, 3] float32 cpu)", e.Message);
    }

    [Fact]
    public void LoadedFunctionIsDifferentiableLikeEagerCode()
    {
        using var dir = new TempDirectory();
        var compiled = Graph.Compile((Tensor x) => (x * x).Sum());
        compiled.Call(Tensor.Zeros([3], DType.Float64));
        compiled.Save(dir.File("sq.graph"));
        var loaded = CompiledFunction.Load(dir.File("sq.graph"));
        var x = Tensor.FromArray(new double[] { 1, -2, 0.5 }, [3]);
        x.RequiresGrad = true;
        // requires_grad is part of the signature, and this graph was traced without it
        Assert.Throws<ArgumentException>(() => loaded.Call(x));
        var x2 = Tensor.FromArray(new double[] { 1, -2, 0.5 }, [3]);
        Assert.Equal(5.25, loaded.Call(x2).Item<double>());
    }
}
