using System.Buffers.Binary;
using System.IO.Compression;

namespace Nabla.Data;

/// <summary>
/// Reads the IDX files MNIST ships in: a big-endian int32 magic (0x00000803 for 3-d unsigned-byte
/// data such as images, 0x00000801 for 1-d such as labels), one big-endian int32 size per dim, then the
/// bytes row-major. Gzip-compressed files are recognized by their first two bytes (0x1F 0x8B).
/// Every error names the file and says what is wrong.
/// </summary>
internal static class IdxReader
{
    public const int ImagesMagic = 2051;
    public const int LabelsMagic = 2049;

    /// <summary>
    /// Most elements one file may declare whatever limit the caller passes: the longest array .NET can
    /// allocate (a little under 2^31), since the data becomes one tensor's storage.
    /// </summary>
    public static readonly long StorageLimit = Array.MaxLength;

    /// <summary>
    /// Reads an IDX file with the given magic: its dims and data (exactly the product of the dims in bytes).
    /// The size the header declares is checked against <paramref name="maxDataBytes"/> and
    /// <see cref="StorageLimit"/> before any data is read, and the data is streamed: never more than the
    /// declared size is inflated (plus one decompression buffer, to see that nothing follows it), so a
    /// small gzip file that would inflate to gigabytes costs only its header.
    /// </summary>
    public static (int[] Dims, byte[] Data) Read(string path, int expectedMagic, long maxDataBytes)
    {
        int rank = expectedMagic & 0xFF;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            bool gzip = file.Length >= 2 && file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
            file.Position = 0;
            using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
            string kind = gzip ? "gzip-compressed IDX" : "IDX";

            var header = new byte[4 + 4 * rank];
            int got = ReadFully(stream, header);
            if (got < 4)
                throw Error(path, $"it is too short to be an {kind} file ({got} bytes; the header alone is {header.Length} bytes).");
            int magic = BinaryPrimitives.ReadInt32BigEndian(header);
            if (magic != expectedMagic)
                throw Error(path, WrongMagic(magic, expectedMagic));
            if (got < header.Length)
                throw Error(path, $"the file ends inside its header ({got} of {header.Length} bytes); it is truncated.");

            var dims = new int[rank];
            long total = 1;
            for (int i = 0; i < rank; i++)
            {
                dims[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 + 4 * i));
                if (dims[i] < 0 || (i > 0 && dims[i] == 0))
                    throw Error(path, $"size {i} in the header is {dims[i]}, which is not a valid size.");
                total *= dims[i];   // total <= StorageLimit < 2^31 before this and dims[i] < 2^31, so no overflow
                if (total > StorageLimit)
                    throw Error(path, $"the header declares sizes {string.Join(" x ", dims[..(i + 1)])}, more bytes than one array can hold " +
                        $"(at most {StorageLimit} elements per tensor); the header is corrupt.");
            }
            if (total > maxDataBytes)
                throw Error(path, $"the header declares {string.Join(" x ", dims)} = {total} bytes of data, over the limit of {maxDataBytes} bytes " +
                    "(nothing was inflated or read). A corrupt or hostile file (a gzip bomb) looks like this; if you trust the file, " +
                    "pass a larger maxDataBytes to Mnist.Load.");
            if (!gzip && file.Length != header.Length + total)
                throw Error(path, file.Length < header.Length + total
                    ? $"it is truncated: the header declares {string.Join(" x ", dims)} = {total} bytes of data but only {file.Length - header.Length} follow."
                    : $"it has {file.Length - header.Length - total} extra bytes after the {total} bytes of data the header declares ({string.Join(" x ", dims)}).");

            var data = ReadData(stream, (int)total, path, dims);
            if (gzip && stream.ReadByte() >= 0)
                throw Error(path, $"it holds more data than the {total} bytes its header declares ({string.Join(" x ", dims)}).");
            return (dims, data);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith("MNIST file", StringComparison.Ordinal))
        {
            throw Error(path, $"the gzip data is corrupt ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Says what is wrong with a magic number. IDX magics are 0x0000TTNN: TT the element type (0x08 for
    /// unsigned bytes) and NN the number of dims, so a header claiming 255 dims is named as such.
    /// </summary>
    static string WrongMagic(int magic, int expected)
    {
        var prefix = $"wrong magic number {magic} (0x{magic:X8}); expected {expected} (0x{expected:X8}) for {Describe(expected)}";
        if (magic is ImagesMagic or LabelsMagic)
            return prefix + $" but this is {Describe(magic)}: are the file names swapped?";
        if ((magic & ~0xFF) == (expected & ~0xFF))
            return prefix + $", but this header declares {magic & 0xFF} dims where the format has {expected & 0xFF}; the file is corrupt.";
        return prefix + ". It is not an MNIST IDX file, or it is corrupt.";
    }

    /// <summary>Reads <paramref name="length"/> bytes, growing the buffer only as data arrives (a lying header costs nothing).</summary>
    static byte[] ReadData(Stream stream, int length, string path, int[] dims)
    {
        var buffer = new byte[Math.Min(length, 1 << 24)];
        int filled = 0;
        while (filled < length)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
            int n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0)
                throw Error(path, $"it is truncated: the header declares {string.Join(" x ", dims)} = {length} bytes of data but the file ends after {filled}.");
            filled += n;
        }
        return buffer;
    }

    static int ReadFully(Stream stream, byte[] buffer)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0) break;
            filled += n;
        }
        return filled;
    }

    static string Describe(int magic) => magic switch
    {
        ImagesMagic => "an images file (3-d unsigned bytes)",
        LabelsMagic => "a labels file (1-d unsigned bytes)",
        _ => $"magic {magic}",
    };

    public static InvalidDataException Error(string path, string problem, Exception? inner = null) =>
        new($"MNIST file '{path}': {problem}", inner);
}
