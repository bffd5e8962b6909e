using Nabla.IO;

namespace Nabla.Tests.IO;

public class SafeTensorsRoundTripTests
{
    static void AssertSame(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        switch (expected.DType)
        {
            case DType.Float32:
                // Bit patterns, so NaN payloads and -0 are checked too.
                Assert.Equal(expected.ToArray<float>().Select(BitConverter.SingleToInt32Bits), actual.ToArray<float>().Select(BitConverter.SingleToInt32Bits));
                break;
            case DType.Float64:
                Assert.Equal(expected.ToArray<double>().Select(BitConverter.DoubleToInt64Bits), actual.ToArray<double>().Select(BitConverter.DoubleToInt64Bits));
                break;
            case DType.Int32: Assert.Equal(expected.ToArray<int>(), actual.ToArray<int>()); break;
            case DType.Int64: Assert.Equal(expected.ToArray<long>(), actual.ToArray<long>()); break;
            case DType.Bool: Assert.Equal(expected.ToArray<bool>(), actual.ToArray<bool>()); break;
        }
    }

    static Dictionary<string, Tensor> AllKinds()
    {
        var m = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        return new()
        {
            ["f32"] = Tensor.FromArray(new[] { 1.5f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon }, [2, 3]),
            ["f64"] = Tensor.FromArray(new[] { Math.PI, -0.0, double.NaN, double.MaxValue, double.Epsilon }, [5]),
            ["i32"] = Tensor.FromArray(new[] { int.MinValue, -1, 0, 1, int.MaxValue, 7 }, [3, 2]),
            ["i64"] = Tensor.FromArray(new[] { long.MinValue, -1L, 0, long.MaxValue }, [2, 1, 2]),
            ["bool"] = Tensor.FromArray(new[] { true, false, true, true }, [4]),
            ["scalar.f32"] = Tensor.Scalar(2.5f),
            ["scalar.i64"] = Tensor.Scalar(-3, DType.Int64),
            ["scalar.bool"] = Tensor.Scalar(1, DType.Bool),
            ["empty.f32"] = Tensor.Zeros([0], DType.Float32),
            ["empty.i32"] = Tensor.Zeros([3, 0, 2], DType.Int32),
            ["empty.bool"] = Tensor.Zeros([0, 5], DType.Bool),
            ["view.transpose"] = m.T,
            ["view.slice"] = m[.., 1..3],
            ["view.step"] = Tensor.Arange(10)[TensorIndex.Slice(.., step: 3)],
            ["view.expand"] = Tensor.FromArray(new[] { 1, 2, 3 }, [1, 3]).Expand(4, 3),
            ["nested.names/with spaces é"] = Tensor.Ones([2], DType.Float64),
        };
    }

    [Fact]
    public void EveryDTypeShapeAndViewRoundTrips()
    {
        using var dir = new TempDirectory();
        var tensors = AllKinds();
        var path = dir.File("all.safetensors");
        SafeTensors.Save(path, tensors);
        var loaded = SafeTensors.Load(path);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), loaded.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in tensors) AssertSame(t, loaded[name]);
        // Views come back as their row-major values: [[1,4],[2,5],[3,6]] for the transpose.
        Assert.Equal(new double[] { 1, 4, 2, 5, 3, 6 }, loaded["view.transpose"].ToArray<double>());
        Assert.Equal(new double[] { 2, 3, 5, 6 }, loaded["view.slice"].ToArray<double>());
        Assert.Equal(new long[] { 0, 3, 6, 9 }, loaded["view.step"].ToArray<long>());
        Assert.Equal([4, 3], loaded["view.expand"].Shape.ToArray());
        Assert.Empty(SafeTensors.ReadMetadata(path));
        Assert.Equal(["all.safetensors"], dir.Entries());
    }

    [Fact]
    public void LoadedTensorsAreFreshLeavesThatDoNotShareMemory()
    {
        var source = Tensor.FromArray(new[] { 1f, 2f }, [2], requiresGrad: true);
        var loaded = SafeTensors.Deserialize(SafeTensors.Serialize(new Dictionary<string, Tensor> { ["w"] = source }))["w"];
        Assert.False(loaded.RequiresGrad);
        Assert.True(loaded.IsLeaf);
        loaded.Fill(9);
        Assert.Equal(new[] { 1f, 2f }, source.ToArray<float>());
    }

    [Fact]
    public void MetadataRoundTripsAndIsReadWithoutTheData()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "3", ["note"] = "quote \" backslash \\ newline \n é 😀", ["empty"] = "" };
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.Ones(2) }, metadata);
        var read = SafeTensors.ReadMetadata(path);
        Assert.Equal(metadata.OrderBy(p => p.Key), read.OrderBy(p => p.Key));
        var (tensors, meta2) = SafeTensors.LoadWithMetadata(path);
        Assert.Equal(new[] { 1f, 1f }, tensors["x"].ToArray<float>());
        Assert.Equal("3", meta2["epoch"]);
        var header = SafeTensors.ReadHeader(path);
        var info = Assert.Single(header.Tensors);
        Assert.Equal(("x", DType.Float32, 0L, 8L), (info.Name, info.DType, info.Begin, info.End));
        Assert.Equal([2], info.Shape);
        Assert.Equal(0, header.DataStart % 8);
        Assert.Equal(header.DataStart + 8, new FileInfo(path).Length);
    }

    [Fact]
    public void AnEmptyDictionaryMakesAValidFile()
    {
        var bytes = SafeTensors.Serialize(new Dictionary<string, Tensor>());
        Assert.Empty(SafeTensors.Deserialize(bytes));
    }

    [Fact]
    public void LargeTensorsRoundTripThroughAFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("big.safetensors");
        var big = Tensor.Randn([300, 1000], seed: 7);
        var flags = big.Gt(Tensor.Scalar(0f));   // 300k bools: more than one 64 KiB write chunk
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = big, ["mask"] = flags });
        var loaded = SafeTensors.Load(path);
        AssertSame(big, loaded["w"]);
        AssertSame(flags, loaded["mask"]);
    }

    [Fact]
    public void StreamsRoundTripFromTheirCurrentPosition()
    {
        var stream = new MemoryStream();
        stream.Write("junk"u8);
        SafeTensors.Save(stream, new Dictionary<string, Tensor> { ["a"] = Tensor.Arange(5) }, new Dictionary<string, string> { ["k"] = "v" });
        stream.Position = 4;
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, SafeTensors.Load(stream)["a"].ToArray<long>());
    }

    [Fact]
    public void ANonSeekableStreamIsRefusedWithAHint()
    {
        var bytes = SafeTensors.Serialize(new Dictionary<string, Tensor> { ["a"] = Tensor.Ones(1) });
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Load(new NonSeekable(bytes)));
        Assert.Contains("seekable", e.Message);
    }

    [Fact]
    public void BadArgumentsAreRejectedOnSave()
    {
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() =>
            SafeTensors.Serialize(new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) })).Message);
        Assert.Contains("'t' is null", Assert.Throws<ArgumentException>(() =>
            SafeTensors.Serialize(new Dictionary<string, Tensor> { ["t"] = null! })).Message);
        Assert.Contains("lone surrogate", Assert.Throws<ArgumentException>(() =>
            SafeTensors.Serialize(new Dictionary<string, Tensor> { ["bad\uD800"] = Tensor.Ones(1) })).Message);
    }

    sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
