using System.Text;
using Nabla.IO;

namespace Nabla.Tests.IO;

/// <summary>Malformed and hostile files: each is rejected with an InvalidDataException that names the file and the problem.</summary>
public class SafeTensorsCorruptTests
{
    static byte[] File(string header, byte[]? data = null, ulong? length = null) => File(Encoding.UTF8.GetBytes(header), data, length);

    static byte[] File(byte[] header, byte[]? data = null, ulong? length = null)
    {
        var result = new List<byte>(BitConverter.GetBytes(length ?? (ulong)header.Length));
        result.AddRange(header);
        result.AddRange(data ?? []);
        return result.ToArray();
    }

    static string T(string name, string dtype, string shape, string offsets) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}";

    public static TheoryData<string, byte[], string> Cases()
    {
        var f4 = new byte[4];
        var data = new TheoryData<string, byte[], string>
        {
            { "empty file", [], "0 bytes long, shorter than the 8-byte header length" },
            { "7 bytes", new byte[7], "7 bytes long" },
            { "header over the 100 MB cap", File("{}", null, 100_000_001), "over the format's limit of 100000000" },
            { "header length 2^64-1", File("{}", null, ulong.MaxValue), "over the format's limit" },
            { "header longer than the file", File("{}", null, 50), "the header length is 50 bytes but only 2 bytes follow" },
            { "invalid UTF-8", File([(byte)'{', 0xFF, (byte)'}']), "not valid UTF-8 (bad byte at header offset 1)" },
            { "empty header", File(""), "it is empty" },
            { "array header", File("[1,2]"), "starting with '{' but its first byte is 0x5B" },
            { "byte-order mark", File([0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}']), "first byte is 0xEF" },
            { "unterminated JSON", File("{\"a\":"), "not valid JSON" },
            { "trailing garbage", File("{} x"), "not valid JSON" },
            { "NUL padding", File("{}\0\0\0\0\0\0"), "not valid JSON" },
            { "deep nesting", File("{\"__metadata__\":" + new string('[', 40) + new string(']', 40) + "}"), "not valid JSON" },
            { "tensor not an object", File("{\"a\":1}"), "tensor 'a' must be an object with dtype, shape and data_offsets, got Number" },
            { "no dtype", File("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", f4), "tensor 'a' has no 'dtype'" },
            { "no shape", File("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", f4), "tensor 'a' has no 'shape'" },
            { "no offsets", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", f4), "tensor 'a' has no 'data_offsets'" },
            { "unknown field", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", f4), "tensor 'a' has an unknown field 'x'" },
            { "field twice", File("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f4), "tensor 'a' gives 'dtype' twice" },
            { "unknown dtype", File("{" + T("a", "F33", "[1]", "[0,4]") + "}", f4), "tensor 'a' has an unknown dtype 'F33'" },
            { "unsupported dtype", File("{" + T("a", "F16", "[2]", "[0,4]") + "}", f4), "tensor 'a' has dtype F16, which Nabla does not support" },
            { "dtype not a string", File("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", f4), "tensor 'a' has a dtype that is not a string" },
            { "shape not an array", File("{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", f4), "tensor 'a' has a shape that is not an array" },
            { "negative size", File("{" + T("a", "F32", "[-1]", "[0,4]") + "}", f4), "shape entry 0 = -1, which is not a size" },
            { "fractional size", File("{" + T("a", "F32", "[1,1.5]", "[0,4]") + "}", f4), "shape entry 1 = 1.5, which is not a size" },
            { "size as string", File("{" + T("a", "F32", "[\"1\"]", "[0,4]") + "}", f4), "shape entry 0 = \"1\"" },
            { "size beyond int64", File("{" + T("a", "F32", "[1e30]", "[0,4]") + "}", f4), "shape entry 0 = 1e30" },
            { "size beyond int32", File("{" + T("a", "F32", "[3000000000]", "[0,4]") + "}", f4), "shape entry 0 = 3000000000, larger than Nabla's limit" },
            { "element count overflow", File("{" + T("a", "F32", "[65536,65536]", "[0,4]") + "}", f4), "with more than 2147483647 elements" },
            { "offsets not a pair", File("{" + T("a", "F32", "[1]", "[0,4,8]") + "}", f4), "must have data_offsets [begin, end], got [0,4,8]" },
            { "offsets an object", File("{" + T("a", "F32", "[1]", "{}") + "}", f4), "must have data_offsets [begin, end], got {}" },
            { "negative offset", File("{" + T("a", "F32", "[1]", "[-4,0]") + "}", f4), "data_offsets [-4,0], which are not two whole numbers >= 0" },
            { "begin after end", File("{" + T("a", "F32", "[1]", "[4,0]") + "}", f4), "data_offsets [4, 0] with begin > end" },
            { "offsets past the buffer", File("{" + T("a", "F32", "[1]", "[0,4]") + "}", new byte[3]), "data_offsets [0, 4] outside the data buffer of 3 bytes" },
            { "huge offsets", File("{" + T("a", "F32", "[1]", "[0,9000000000000000000]") + "}", f4), "outside the data buffer of 4 bytes" },
            { "size mismatch", File("{" + T("a", "F32", "[2]", "[0,4]") + "}", f4), "tensor 'a' (F32, shape [2]) needs 8 bytes but its data_offsets [0, 4] span 4" },
            { "overlap", File("{" + T("a", "F32", "[2]", "[0,8]") + "," + T("b", "F32", "[1]", "[4,8]") + "}", new byte[8]), "tensor 'b' (bytes [4, 8]) overlaps tensor 'a' (bytes [0, 8])" },
            { "same bytes twice", File("{" + T("a", "F32", "[1]", "[0,4]") + "," + T("b", "I32", "[1]", "[0,4]") + "}", f4), "overlaps tensor" },
            { "gap", File("{" + T("a", "F32", "[1]", "[0,4]") + "," + T("b", "F32", "[1]", "[8,12]") + "}", new byte[12]), "bytes [4, 8) belong to no tensor (before tensor 'b')" },
            { "gap at the start", File("{" + T("a", "F32", "[1]", "[4,8]") + "}", new byte[8]), "bytes [0, 4) belong to no tensor" },
            { "trailing bytes", File("{" + T("a", "F32", "[1]", "[0,4]") + "}", new byte[6]), "2 trailing bytes after the last tensor" },
            { "data without tensors", File("{}", new byte[3]), "3 trailing bytes" },
            { "duplicate name", File("{" + T("a", "F32", "[1]", "[0,4]") + "," + T("a", "F32", "[1]", "[4,8]") + "}", new byte[8]), "the header names 'a' twice" },
            { "metadata twice", File("{\"__metadata__\":{},\"__metadata__\":{}}"), "the header names '__metadata__' twice" },
            { "metadata not an object", File("{\"__metadata__\":[]}"), "'__metadata__' must be an object of strings, got Array" },
            { "metadata value not a string", File("{\"__metadata__\":{\"epoch\":3}}"), "'__metadata__' entry 'epoch' must be a string, got Number" },
            { "metadata key twice", File("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}"), "'__metadata__' names 'k' twice" },
            { "bool byte 2", File("{" + T("m", "BOOL", "[3]", "[0,3]") + "}", [1, 0, 2]), "BOOL tensor 'm' holds the byte 0x02 at element 2" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CorruptFilesAreRejectedWithTheReason(string why, byte[] file, string message)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.safetensors");
        System.IO.File.WriteAllBytes(path, file);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.StartsWith($"Invalid safetensors file '{path}': ", e.Message);
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{why}: expected \"{message}\" in \"{e.Message}\"");
        Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(file));
    }

    [Fact]
    public void HeaderReadersValidateTooButNeverTouchTheData()
    {
        using var dir = new TempDirectory();
        var path = dir.File("h.safetensors");
        // Valid header, bool data that would be rejected on load: header-only readers accept it.
        System.IO.File.WriteAllBytes(path, File("{\"__metadata__\":{\"a\":\"b\"}," + T("m", "BOOL", "[1]", "[0,1]") + "}", [7]));
        Assert.Equal("b", SafeTensors.ReadMetadata(path)["a"]);
        Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        System.IO.File.WriteAllBytes(path, File("{" + T("a", "F32", "[2]", "[0,4]") + "}", new byte[4]));
        Assert.Contains("needs 8 bytes", Assert.Throws<InvalidDataException>(() => SafeTensors.ReadMetadata(path)).Message);
    }

    [Fact]
    public void AMissingFileIsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".safetensors")));

    static byte[] SmallValidFile() => SafeTensors.Serialize(new Dictionary<string, Tensor>
    {
        ["w"] = Tensor.FromArray(new[] { 1f, 2f, 3f }, [3]),
        ["n"] = Tensor.FromArray(new[] { 5L }, [1]),
        ["flag"] = Tensor.FromArray(new[] { true, false }, [2]),
    }, new Dictionary<string, string> { ["format"] = "pt" });

    [Fact]
    public void TruncationAtEveryByteIsRejected()
    {
        var file = SmallValidFile();
        Assert.Equal(3, SafeTensors.Deserialize(file).Count);
        for (int length = 0; length < file.Length; length++)
        {
            var cut = file.AsSpan(0, length).ToArray();
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(cut, "cut"));
            Assert.StartsWith("Invalid safetensors file 'cut': ", e.Message);
        }
    }

    [Fact]
    public void RandomByteFlipsNeverCrash()
    {
        var file = SmallValidFile();
        int rejected = 0;
        for (int seed = 0; seed < 400; seed++)
        {
            var rng = new Random(seed);
            var bad = (byte[])file.Clone();
            int flips = 1 + rng.Next(4);
            for (int k = 0; k < flips; k++) bad[rng.Next(bad.Length)] ^= (byte)(1 + rng.Next(255));
            try
            {
                var loaded = SafeTensors.Deserialize(bad);
                // Accepted only when the header still describes the data exactly (e.g. a flipped data byte).
                Assert.Equal(bad.Length - 8 - (long)BitConverter.ToUInt64(bad, 0), loaded.Values.Sum(t => (long)t.NumElements * t.DType.ElementSize()));
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
        }
        Assert.InRange(rejected, 100, 400);   // most flips hit the header (it is most of the file)
    }

    [Fact]
    public void RandomGarbageNeverCrashes()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            var rng = new Random(seed);
            var junk = new byte[rng.Next(0, 200)];
            rng.NextBytes(junk);
            if (junk.Length >= 8 && seed % 2 == 0) BitConverter.GetBytes((ulong)rng.Next(0, junk.Length - 7)).CopyTo(junk, 0);
            Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(junk));
        }
    }
}
