using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Nabla.Engine;

namespace Nabla.IO;

/// <summary>
/// Reads a safetensors file from a seekable stream. The header length is checked against the stream
/// length and the 100 MB cap before the header is read, and the header against the data length
/// before any tensor is allocated, so memory use is bounded by the file's real size.
/// </summary>
internal static class SafeTensorsReader
{
    public static SafeTensorsHeader ReadHeader(Stream stream, string source)
    {
        if (!stream.CanSeek)
            throw new ArgumentException("SafeTensors: the stream must be seekable (its length is checked before reading); copy it to a MemoryStream or a file first.", nameof(stream));
        long length = stream.Length - stream.Position;
        if (length < 8)
            throw SafeTensorsErrors.Invalid(source, $"it is {length} bytes long, shorter than the 8-byte header length that starts every safetensors file.");
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, source, "the header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > SafeTensorsHeaderParser.MaxHeaderLength)
            throw SafeTensorsErrors.Invalid(source, $"the header length is {n} bytes, over the format's limit of {SafeTensorsHeaderParser.MaxHeaderLength} (not a safetensors file, or corrupt).");
        if ((long)n > length - 8)
            throw SafeTensorsErrors.Invalid(source, $"the header length is {n} bytes but only {length - 8} bytes follow the length prefix (the file is truncated or not a safetensors file).");
        var header = new byte[n];
        ReadExactly(stream, header, source, "the header");
        return SafeTensorsHeaderParser.Parse(header, length - 8 - (long)n, source);
    }

    public static Dictionary<string, Tensor> ReadTensors(Stream stream, string source) =>
        ReadTensors(stream, source, out _);

    public static Dictionary<string, Tensor> ReadTensors(Stream stream, string source, out SafeTensorsHeader header)
    {
        header = ReadHeader(stream, source);
        // The header has been checked to cover the data exactly, so reading in offset order is one sequential pass.
        var byOffset = header.Tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var info in byOffset)
        {
            loaded.Add(info.Name, ReadData(stream, info, new Shape(info.Shape.ToArray()), source));
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var info in header.Tensors) result.Add(info.Name, loaded[info.Name]);
        return result;
    }

    /// <summary>One tensor's bytes, read into host memory, checked, then handed to the CPU backend.</summary>
    static Tensor ReadData(Stream stream, SafeTensorInfo info, Shape shape, string source) => info.DType switch
    {
        DType.Float32 => ReadData<float>(stream, info, shape, source),
        DType.Float64 => ReadData<double>(stream, info, shape, source),
        DType.Int32 => ReadData<int>(stream, info, shape, source),
        DType.Int64 => ReadData<long>(stream, info, shape, source),
        DType.Bool => ReadData<bool>(stream, info, shape, source),
        _ => throw new InvalidOperationException("internal: unexpected dtype"),
    };

    static Tensor ReadData<T>(Stream stream, SafeTensorInfo info, Shape shape, string source) where T : unmanaged
    {
        var values = GC.AllocateUninitializedArray<T>(shape.NumElements);
        if (values.Length > 0) ReadBytes(stream, MemoryMarshal.AsBytes(values.AsSpan()), info, source);
        return Dispatch.AdoptHost(values, shape);
    }

    static void ReadBytes(Stream stream, Span<byte> bytes, SafeTensorInfo info, string source)
    {
        ReadExactly(stream, bytes, source, $"the data of tensor '{info.Name}'");
        if (!BitConverter.IsLittleEndian) SafeTensorsEndian.Swap(bytes, info.DType.ElementSize());
        if (info.DType == DType.Bool)
        {
            // A .NET bool must hold 0 or 1; any other byte would make comparisons misbehave.
            int bad = bytes.IndexOfAnyExcept((byte)0, (byte)1);
            if (bad >= 0)
                throw SafeTensorsErrors.Invalid(source, $"BOOL tensor '{info.Name}' holds the byte 0x{bytes[bad]:X2} at element {bad}; booleans must be 0 or 1.");
        }
    }

    static void ReadExactly(Stream stream, Span<byte> buffer, string source, string what)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = stream.Read(buffer[read..]);
            if (n == 0)
                throw SafeTensorsErrors.Invalid(source, $"the file ended while reading {what} ({read} of {buffer.Length} bytes); it was truncated or changed while being read.");
            read += n;
        }
    }
}
