using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Nabla.IO;

/// <summary>
/// Lays out a safetensors file exactly as the reference (Rust) writer does: tensors sorted by dtype
/// (its enum order, descending) then by name (UTF-8 bytes), packed without gaps; a compact JSON header
/// with <c>__metadata__</c> first, padded with spaces to a multiple of 8; little-endian data.
/// </summary>
internal sealed class SafeTensorsWriter
{
    readonly List<(string Name, Tensor Tensor)> _entries;
    readonly byte[] _header;

    SafeTensorsWriter(List<(string, Tensor)> entries, byte[] header)
    {
        _entries = entries;
        _header = header;
    }

    /// <summary>Total size of the file in bytes.</summary>
    public long Length { get; private set; }

    /// <summary>Validates the arguments and builds the header; nothing is written yet.</summary>
    public static SafeTensorsWriter Prepare(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<(string Name, byte[] Utf8, Tensor Tensor)>(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            if (name is null) throw new ArgumentException("SafeTensors.Save: a tensor name is null.", nameof(tensors));
            if (name == "__metadata__")
                throw new ArgumentException("SafeTensors.Save: '__metadata__' is reserved by the format for the metadata map; rename the tensor.", nameof(tensors));
            if (tensor is null) throw new ArgumentException($"SafeTensors.Save: tensor '{name}' is null.", nameof(tensors));
            entries.Add((name, Utf8(name, "tensor name"), tensor));
        }
        entries.Sort((a, b) =>
        {
            int c = SafeTensorsDTypes.ReferenceOrder(b.Tensor.DType).CompareTo(SafeTensorsDTypes.ReferenceOrder(a.Tensor.DType));
            return c != 0 ? c : a.Utf8.AsSpan().SequenceCompareTo(b.Utf8);
        });

        var json = new MemoryStream();
        json.WriteByte((byte)'{');
        bool first = true;
        if (metadata is not null)
        {
            json.Write("\"__metadata__\":{"u8);
            var pairs = metadata.Select(p => (Key: Utf8(p.Key, "metadata key"), Value: Utf8(p.Value, $"metadata value of '{p.Key}'")))
                .OrderBy(p => p.Key, ByteOrder.Instance).ToList();
            for (int i = 0; i < pairs.Count; i++)
            {
                if (i > 0) json.WriteByte((byte)',');
                WriteString(json, pairs[i].Key);
                json.WriteByte((byte)':');
                WriteString(json, pairs[i].Value);
            }
            json.WriteByte((byte)'}');
            first = false;
        }
        long offset = 0;
        foreach (var (_, utf8, tensor) in entries)
        {
            if (!first) json.WriteByte((byte)',');
            first = false;
            long size = (long)tensor.NumElements * tensor.DType.ElementSize();
            WriteString(json, utf8);
            Ascii(json, $":{{\"dtype\":\"{SafeTensorsDTypes.Code(tensor.DType)}\",\"shape\":[{string.Join(",", tensor.Shape)}],\"data_offsets\":[{offset},{offset + size}]}}");
            offset += size;
        }
        json.WriteByte((byte)'}');
        while (json.Length % 8 != 0) json.WriteByte((byte)' ');
        if (json.Length > SafeTensorsHeaderParser.MaxHeaderLength)
            throw new ArgumentException($"SafeTensors.Save: the header would be {json.Length} bytes, over the format's limit of {SafeTensorsHeaderParser.MaxHeaderLength}; use fewer or shorter names.");
        return new SafeTensorsWriter(entries.Select(e => (e.Name, e.Tensor)).ToList(), json.ToArray()) { Length = 8 + json.Length + offset };
    }

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)_header.Length);
        stream.Write(prefix);
        stream.Write(_header);
        foreach (var (_, tensor) in _entries) WriteData(stream, tensor);
    }

    /// <summary>The elements in row-major order, little-endian; non-contiguous views are materialized first.</summary>
    static void WriteData(Stream stream, Tensor tensor)
    {
        if (tensor.NumElements == 0) return;
        switch (tensor.DType)
        {
            case DType.Float32: WriteLittleEndian(stream, tensor.ToArray<float>()); break;
            case DType.Float64: WriteLittleEndian(stream, tensor.ToArray<double>()); break;
            case DType.Int32: WriteLittleEndian(stream, tensor.ToArray<int>()); break;
            case DType.Int64: WriteLittleEndian(stream, tensor.ToArray<long>()); break;
            case DType.Bool:
                // One byte per element, 0 or 1 (normalized, whatever byte a bool happens to hold).
                var src = tensor.ToArray<bool>();
                var buffer = new byte[Math.Min(src.Length, 1 << 16)];
                for (int start = 0; start < src.Length; start += buffer.Length)
                {
                    int n = Math.Min(buffer.Length, src.Length - start);
                    for (int i = 0; i < n; i++) buffer[i] = src[start + i] ? (byte)1 : (byte)0;
                    stream.Write(buffer, 0, n);
                }
                break;
        }
    }

    static void WriteLittleEndian<T>(Stream stream, T[] values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        if (BitConverter.IsLittleEndian) { stream.Write(bytes); return; }
        var copy = bytes.ToArray();
        SafeTensorsEndian.Swap(copy, DTypes.Of<T>().ElementSize());
        stream.Write(copy);
    }

    static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    static byte[] Utf8(string s, string what)
    {
        if (s is null) throw new ArgumentException($"SafeTensors.Save: a {what} is null.");
        try { return StrictUtf8.GetBytes(s); }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"SafeTensors.Save: the {what} '{s}' is not valid Unicode (a lone surrogate) and cannot be written as UTF-8.", e);
        }
    }

    /// <summary>A JSON string with serde_json's escaping: only '"', '\\' and control characters; other bytes as is.</summary>
    static void WriteString(Stream json, byte[] utf8)
    {
        json.WriteByte((byte)'"');
        foreach (var b in utf8)
        {
            switch (b)
            {
                case (byte)'"': json.Write("\\\""u8); break;
                case (byte)'\\': json.Write("\\\\"u8); break;
                case (byte)'\n': json.Write("\\n"u8); break;
                case (byte)'\r': json.Write("\\r"u8); break;
                case (byte)'\t': json.Write("\\t"u8); break;
                case 0x08: json.Write("\\b"u8); break;
                case 0x0C: json.Write("\\f"u8); break;
                case < 0x20: Ascii(json, "\\u00" + b.ToString("x2", CultureInfo.InvariantCulture)); break;
                default: json.WriteByte(b); break;
            }
        }
        json.WriteByte((byte)'"');
    }

    static void Ascii(Stream s, string text) => s.Write(Encoding.ASCII.GetBytes(text));

    sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}

/// <summary>Byte swapping for big-endian hosts (the format is little-endian).</summary>
internal static class SafeTensorsEndian
{
    public static void Swap(Span<byte> data, int elementSize)
    {
        if (elementSize == 1) return;
        for (int i = 0; i + elementSize <= data.Length; i += elementSize) data.Slice(i, elementSize).Reverse();
    }
}
