using System.Text;
using Nabla.IO;

namespace Nabla.Tests.IO;

/// <summary>
/// Byte-exact checks against files built by hand from the format description: 8-byte little-endian
/// header length, compact JSON header padded with spaces to a multiple of 8, tensors sorted by dtype
/// (the reference enum order I64 &gt; F64 &gt; F32 &gt; I32 &gt; BOOL, descending) then by name, packed
/// little-endian data. A file that matches these bytes is what the reference writer (and PyTorch's
/// safetensors) would produce, so any other reader accepts it.
/// </summary>
public class SafeTensorsFormatTests
{
    static byte[] File(string header, params byte[][] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var result = new List<byte>();
        result.AddRange(BitConverter.GetBytes((ulong)h.Length));   // BitConverter is little-endian on the test machines
        Assert.True(BitConverter.IsLittleEndian);
        result.AddRange(h);
        foreach (var d in data) result.AddRange(d);
        return result.ToArray();
    }

    static string Pad(string header) => header + new string(' ', (8 - Encoding.UTF8.GetByteCount(header) % 8) % 8);

    [Fact]
    public void OneFloatTensorMatchesTheReferenceWritersBytes()
    {
        // The reference implementation's own serialization example: "attn.0", F32 [1, 2, 3] = 0..5.
        // Its header is exactly 64 bytes, so there is no padding.
        var t = Tensor.FromArray(new[] { 0f, 1, 2, 3, 4, 5 }, [1, 2, 3]);
        var bytes = SafeTensors.Serialize(new Dictionary<string, Tensor> { ["attn.0"] = t });
        const string header = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        Assert.Equal(64, header.Length);
        byte[] data = [0, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40, 0, 0, 0xA0, 0x40];
        Assert.Equal(File(header, data), bytes);
        Assert.Equal(64, bytes[0]);
    }

    [Fact]
    public void EmptyFilesMatchTheReferenceWritersBytes()
    {
        var none = SafeTensors.Serialize(new Dictionary<string, Tensor>());
        Assert.Equal(new byte[] { 8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32 }, none);
        var withMeta = SafeTensors.Serialize(new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["framework"] = "pt" });
        Assert.Equal(File("{\"__metadata__\":{\"framework\":\"pt\"}}     "), withMeta);
        Assert.Equal(40, withMeta[0]);
    }

    [Fact]
    public void MixedDTypesAreOrderedByAlignmentThenNameAndPacked()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["b"] = Tensor.FromArray(new[] { 1, -2 }, [2]),
            ["a"] = Tensor.Scalar(1.5f),
            ["c"] = Tensor.FromArray(new[] { true, false, true }, [3]),
            ["d"] = Tensor.FromArray(new[] { 0.25 }, [1, 1]),
            ["e"] = Tensor.Zeros([0], DType.Int64),
            ["a2"] = Tensor.FromArray(new[] { 7L }, [1]),
        };
        var metadata = new Dictionary<string, string> { ["z"] = "last", ["format"] = "pt" };
        var header = Pad("{\"__metadata__\":{\"format\":\"pt\",\"z\":\"last\"}," +
            "\"a2\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}," +
            "\"e\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[8,8]}," +
            "\"d\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[8,16]}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]}," +
            "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[20,28]}," +
            "\"c\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[28,31]}}");
        var expected = File(header,
            [7, 0, 0, 0, 0, 0, 0, 0],                      // a2: int64 7
            [0, 0, 0, 0, 0, 0, 0xD0, 0x3F],                 // d: 0.25 = 0x3FD0000000000000
            [0, 0, 0xC0, 0x3F],                             // a: 1.5f = 0x3FC00000
            [1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF],           // b: 1, -2
            [1, 0, 1]);                                     // c: true, false, true
        Assert.Equal(expected, SafeTensors.Serialize(tensors, metadata));
        Assert.Equal(0, (expected.Length - 31) % 8);   // header padded: data starts 8-aligned
    }

    [Fact]
    public void NamesAreEscapedAsJsonAndSortedByTheirUtf8Bytes()
    {
        // U+FF01 (EF BC 81) sorts before U+1F600 (F0 9F 98 80) in UTF-8 byte order although its UTF-16
        // code unit is larger than the surrogate D83D; the reference compares Rust strings, i.e. bytes.
        var tensors = new Dictionary<string, Tensor>
        {
            ["\U0001F600"] = Tensor.FromArray(new[] { 2 }, [1]),
            ["\uFF01"] = Tensor.FromArray(new[] { 1 }, [1]),
            ["q\"b\\n\n\u0001é"] = Tensor.FromArray(new[] { 0 }, [1]),
        };
        var header = Pad("{\"q\\\"b\\\\n\\n\\u0001é\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
            "\"\uFF01\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,8]}," +
            "\"\U0001F600\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]}}");
        var bytes = SafeTensors.Serialize(tensors);
        Assert.Equal(File(header, [0, 0, 0, 0], [1, 0, 0, 0], [2, 0, 0, 0]), bytes);
        var back = SafeTensors.Deserialize(bytes);
        Assert.Equal(1, back["\uFF01"].ToArray<int>()[0]);
        Assert.Equal(0, back["q\"b\\n\n\u0001é"].ToArray<int>()[0]);
    }

    [Fact]
    public void FilesFromOtherWritersInAnyOrderAreRead()
    {
        // Older writers sorted by name only and may put __metadata__ last, use escapes such as \u00e9,
        // and pad with more spaces; offsets need not follow header order.
        var header = "{\"w\":{\"shape\":[2],\"dtype\":\"F32\",\"data_offsets\":[4,12]},\"b\\u00e9\":{\"data_offsets\":[0,4],\"dtype\":\"I32\",\"shape\":[]}, \"__metadata__\":{\"k\":\"v\"}}" + new string(' ', 21);
        var loaded = SafeTensors.Deserialize(File(header, [9, 0, 0, 0], [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]));
        Assert.Equal(["w", "bé"], loaded.Keys);
        Assert.Equal(new[] { 1f, 2f }, loaded["w"].ToArray<float>());
        Assert.Equal(9, loaded["bé"].Item<int>());
    }
}
