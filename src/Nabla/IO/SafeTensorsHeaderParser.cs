using System.Text;
using System.Text.Json;

namespace Nabla.IO;

/// <summary>
/// Parses and validates the JSON header of a safetensors file against the length of its data
/// buffer. Every check the format implies is made here, before any tensor memory is allocated, so
/// a hostile header can at most cost the (capped) header bytes themselves.
/// </summary>
internal static class SafeTensorsHeaderParser
{
    /// <summary>The reference implementation's cap on the header size (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Most dims a tensor in a file may have: the library's limit (<see cref="Shape.MaxRank"/>, PyTorch's 64).</summary>
    public const int MaxRank = Shape.MaxRank;

    const string MetadataKey = "__metadata__";

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static SafeTensorsHeader Parse(byte[] header, long dataLength, string source)
    {
        try
        {
            StrictUtf8.GetCharCount(header);
        }
        catch (DecoderFallbackException e)
        {
            throw SafeTensorsErrors.Invalid(source, $"the header is not valid UTF-8 (bad byte at header offset {e.Index}).", e);
        }
        if (header.Length == 0 || header[0] != (byte)'{')
            throw SafeTensorsErrors.Invalid(source, "the header must be a JSON object starting with '{'" +
                (header.Length == 0 ? " but it is empty." : $" but its first byte is 0x{header[0]:X2}."));

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw SafeTensorsErrors.Invalid(source, $"the header is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw SafeTensorsErrors.Invalid(source, $"the header must be a JSON object, got {doc.RootElement.ValueKind}.");
            var tensors = new List<SafeTensorInfo>();
            IReadOnlyDictionary<string, string>? metadata = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    throw SafeTensorsErrors.Invalid(source, $"the header names '{prop.Name}' twice.");
                if (prop.Name == MetadataKey) metadata = ParseMetadata(prop.Value, source);
                else tensors.Add(ParseTensor(prop.Name, prop.Value, dataLength, source));
            }
            CheckCoverage(tensors, dataLength, source);
            return new SafeTensorsHeader(tensors, metadata ?? new Dictionary<string, string>(), header.Length);
        }
    }

    static Dictionary<string, string> ParseMetadata(JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw SafeTensorsErrors.Invalid(source, $"'{MetadataKey}' must be an object of strings, got {value.ValueKind}.");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw SafeTensorsErrors.Invalid(source, $"'{MetadataKey}' entry '{p.Name}' must be a string, got {p.Value.ValueKind}.");
            if (!result.TryAdd(p.Name, p.Value.GetString()!))
                throw SafeTensorsErrors.Invalid(source, $"'{MetadataKey}' names '{p.Name}' twice.");
        }
        return result;
    }

    static SafeTensorInfo ParseTensor(string name, JsonElement value, long dataLength, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' must be an object with dtype, shape and data_offsets, got {value.ValueKind}.");
        JsonElement? dtypeEl = null, shapeEl = null, offsetsEl = null;
        foreach (var p in value.EnumerateObject())
        {
            ref JsonElement? slot = ref dtypeEl;
            if (p.Name == "dtype") slot = ref dtypeEl;
            else if (p.Name == "shape") slot = ref shapeEl;
            else if (p.Name == "data_offsets") slot = ref offsetsEl;
            else throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has an unknown field '{p.Name}' (expected dtype, shape, data_offsets).");
            if (slot is not null) throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' gives '{p.Name}' twice.");
            slot = p.Value;
        }
        if (dtypeEl is not { } d) throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has no 'dtype'.");
        if (shapeEl is not { } s) throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has no 'shape'.");
        if (offsetsEl is not { } o) throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has no 'data_offsets'.");

        var dtype = ParseDType(name, d, source);
        var (shape, numel) = ParseShape(name, s, source);
        var (begin, end) = ParseOffsets(name, o, source);
        if (end > dataLength)
            throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has data_offsets [{begin}, {end}] outside the data buffer of {dataLength} bytes (the file is truncated or the header is wrong).");
        long expected = numel * dtype.ElementSize();
        if (end - begin != expected)
            throw SafeTensorsErrors.Invalid(source,
                $"tensor '{name}' ({SafeTensorsDTypes.Code(dtype)}, shape {Nabla.Shape.Format(shape)}) needs {expected} bytes but its data_offsets [{begin}, {end}] span {end - begin}.");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    static DType ParseDType(string name, JsonElement d, string source)
    {
        if (d.ValueKind != JsonValueKind.String)
            throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has a dtype that is not a string ({d.ValueKind}).");
        var code = d.GetString()!;
        if (SafeTensorsDTypes.FromCode(code) is { } dtype) return dtype;
        if (SafeTensorsDTypes.IsKnownButUnsupported(code))
            throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has dtype {code}, which Nabla does not support (F32, F64, I32, I64, BOOL); convert it before saving.");
        throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has an unknown dtype '{code}' (expected F32, F64, I32, I64 or BOOL).");
    }

    static (int[] Shape, long NumElements) ParseShape(string name, JsonElement s, string source)
    {
        if (s.ValueKind != JsonValueKind.Array)
            throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has a shape that is not an array ({s.ValueKind}).");
        int rank = s.GetArrayLength();
        // Checked before the dims are read: a header of "[1,1,1,...]" could otherwise ask for millions of them.
        if (rank > MaxRank)
            throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has rank {rank} (a shape of {rank} dims), above the limit of {MaxRank} dims; the header is corrupt or hostile.");
        var dims = new int[rank];
        int i = 0;
        bool anyZero = false;
        foreach (var e in s.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0)
                throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has shape entry {i} = {Clip(e.GetRawText())}, which is not a size (a whole number >= 0).");
            if (v > int.MaxValue)
                throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has shape entry {i} = {v}, larger than Nabla's limit of {int.MaxValue} per dimension.");
            anyZero |= v == 0;
            dims[i++] = (int)v;
        }
        if (anyZero) return (dims, 0);
        long n = 1;
        foreach (var v in dims)
        {
            n *= v;   // both factors are < 2^31 and n stays < 2^31 below, so this cannot overflow
            if (n > int.MaxValue)
                throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has shape {Nabla.Shape.Format(dims)} with more than {int.MaxValue} elements, beyond what a Nabla tensor can hold.");
        }
        return (dims, n);
    }

    static (long Begin, long End) ParseOffsets(string name, JsonElement o, string source)
    {
        if (o.ValueKind != JsonValueKind.Array || o.GetArrayLength() != 2)
            throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' must have data_offsets [begin, end], got {Clip(o.GetRawText())}.");
        var b = o[0];
        var e = o[1];
        if (b.ValueKind != JsonValueKind.Number || !b.TryGetInt64(out long begin) || begin < 0 ||
            e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long end) || end < 0)
            throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has data_offsets {Clip(o.GetRawText())}, which are not two whole numbers >= 0.");
        if (begin > end)
            throw SafeTensorsErrors.Invalid(source, $"tensor '{name}' has data_offsets [{begin}, {end}] with begin > end.");
        return (begin, end);
    }

    /// <summary>The data buffer must be covered exactly: sorted by offset, each tensor starts where the previous ends.</summary>
    static void CheckCoverage(List<SafeTensorInfo> tensors, long dataLength, string source)
    {
        var sorted = tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        long position = 0;
        SafeTensorInfo? previous = null;
        foreach (var t in sorted)
        {
            if (t.Begin < position)
                throw SafeTensorsErrors.Invalid(source, $"tensor '{t.Name}' (bytes [{t.Begin}, {t.End}]) overlaps tensor '{previous!.Name}' (bytes [{previous.Begin}, {previous.End}]).");
            if (t.Begin > position)
                throw SafeTensorsErrors.Invalid(source, $"the data buffer has a gap: bytes [{position}, {t.Begin}) belong to no tensor (before tensor '{t.Name}').");
            position = t.End;
            previous = t;
        }
        if (position != dataLength)
            throw SafeTensorsErrors.Invalid(source, $"the data buffer has {dataLength - position} trailing bytes after the last tensor (bytes [{position}, {dataLength})) that belong to no tensor.");
    }

    static string Clip(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
