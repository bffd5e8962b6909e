using System.Buffers.Binary;
using System.IO.Compression;
using Nabla.Data;
using Nabla.Tests.IO;

namespace Nabla.Tests.Hardening;

/// <summary>
/// Issue 11, point 10 (and the IDX side of point 2): the IDX loader checks the size a header declares
/// against a limit before inflating anything, streams the data, and refuses payloads longer or shorter
/// than declared and headers with an absurd number of dims.
/// </summary>
public class IdxBombTests
{
    const string Images = "train-images-idx3-ubyte";
    const string Labels = "train-labels-idx1-ubyte";

    static byte[] Header(int magic, params int[] dims)
    {
        var bytes = new byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        return bytes;
    }

    /// <summary>Gzip of <paramref name="header"/> followed by <paramref name="zeros"/> zero bytes, compressed in 1 MB pieces.</summary>
    static byte[] GzipWithZeros(byte[] header, long zeros, byte[]? data = null)
    {
        var memory = new MemoryStream();
        using (var gz = new GZipStream(memory, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(header);
            if (data is not null) gz.Write(data);
            var chunk = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= chunk.Length) gz.Write(chunk, 0, (int)Math.Min(left, chunk.Length));
        }
        return memory.ToArray();
    }

    static byte[] Pixels(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 % 256)).ToArray();

    static TempDirectory FolderWith(byte[] images, bool gzipImages, byte[]? labels = null)
    {
        var dir = new TempDirectory();
        File.WriteAllBytes(dir.File(gzipImages ? Images + ".gz" : Images), images);
        File.WriteAllBytes(dir.File(Labels), labels ?? [.. Header(2049, 3), 1, 2, 3]);
        return dir;
    }

    [Fact]
    public void AGzipBombIsRefusedFromItsHeaderWithoutInflatingIt()
    {
        // 3000 x 256 x 256 = 196,608,000 bytes of zeros: a real bomb of a few hundred KB.
        var bomb = GzipWithZeros(Header(2051, 3000, 256, 256), 196_608_000);
        Assert.True(bomb.Length < 1_000_000, $"the crafted bomb is {bomb.Length} bytes");
        using var dir = FolderWith(bomb, gzipImages: true);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal($"MNIST file '{dir.File(Images + ".gz")}': the header declares 3000 x 256 x 256 = 196608000 bytes of data, " +
            "over the limit of 134217728 bytes (nothing was inflated or read). A corrupt or hostile file (a gzip bomb) looks like this; " +
            "if you trust the file, pass a larger maxDataBytes to Mnist.Load.", e.Message);
        // Buffers for the file, the decompressor and the message; inflating the data would take 196 MB.
        Assert.True(allocated < 2_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void TheLimitIsExactAndTheCallerCanRaiseIt()
    {
        var images = Pixels(60);
        using var dir = FolderWith([.. Header(2051, 3, 4, 5), .. images], gzipImages: false);

        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path, maxDataBytes: 59));
        Assert.Contains("the header declares 3 x 4 x 5 = 60 bytes of data, over the limit of 59 bytes", e.Message);

        var data = Mnist.Load(dir.Path, maxDataBytes: 60);
        Assert.Equal([3, 1, 4, 5], data.Images.Shape.ToArray());
        Assert.Equal(images.Select(p => (float)(p / 255.0)), data.Images.ToArray<float>());
        Assert.Equal(new long[] { 1, 2, 3 }, data.Labels.ToArray<long>());
    }

    [Fact]
    public void TheLimitAppliesToTheLabelsFileToo()
    {
        using var dir = FolderWith([.. Header(2051, 3, 1, 1), 0, 0, 0], gzipImages: false, labels: [.. Header(2049, 3), 1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path, maxDataBytes: 2));
        Assert.StartsWith($"MNIST file '{dir.File(Images)}': the header declares 3 x 1 x 1 = 3 bytes", e.Message);
        // Raw images of 3 bytes pass a limit of 3; the 3 labels are then checked against the same limit.
        using var dir2 = FolderWith([.. Header(2051, 2, 1, 1), 0, 0], gzipImages: false, labels: [.. Header(2049, 3), 1, 2, 3]);
        var labels = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir2.Path, maxDataBytes: 2));
        Assert.StartsWith($"MNIST file '{dir2.File(Labels)}': the header declares 3 = 3 bytes of data, over the limit of 2 bytes", labels.Message);
    }

    [Fact]
    public void APayloadThatInflatesPastItsDeclaredSizeIsAnErrorAndIsNotInflated()
    {
        // Declares 60 bytes, then 10 MB more follow inside the gzip stream.
        var file = GzipWithZeros(Header(2051, 3, 4, 5), 60 + 10_000_000);
        using var dir = FolderWith(file, gzipImages: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal($"MNIST file '{dir.File(Images + ".gz")}': it holds more data than the 60 bytes its header declares (3 x 4 x 5).", e.Message);
        Assert.True(allocated < 2_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void APayloadShorterThanDeclaredIsAnError()
    {
        var file = GzipWithZeros(Header(2051, 3, 4, 5), 0, Pixels(59));
        using var dir = FolderWith(file, gzipImages: true);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path));
        Assert.Equal($"MNIST file '{dir.File(Images + ".gz")}': it is truncated: the header declares 3 x 4 x 5 = 60 bytes of data but the file ends after 59.", e.Message);
    }

    [Theory]
    [InlineData(0x000008FF, 255)]
    [InlineData(0x00000840, 64)]
    [InlineData(0x00000800, 0)]
    public void AHeaderWithAnAbsurdNumberOfDimsIsNamedAsSuch(int magic, int dims)
    {
        // Followed by enough bytes that a reader trusting the count would go on to read "sizes".
        using var dir = FolderWith([.. Header(magic), .. new byte[64]], gzipImages: false);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path));
        Assert.Equal($"MNIST file '{dir.File(Images)}': wrong magic number {magic} (0x{magic:X8}); expected 2051 (0x00000803) for an images file " +
            $"(3-d unsigned bytes), but this header declares {dims} dims where the format has 3; the file is corrupt.", e.Message);
    }

    [Fact]
    public void RaisingTheLimitDoesNotLiftTheStorageLimit()
    {
        // 65536 x 65536 x 1 = 2^32 bytes: more than one tensor's storage can hold, whatever the caller allows.
        var file = GzipWithZeros(Header(2051, 65536, 65536, 1), 100);
        using var dir = FolderWith(file, gzipImages: true);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path, maxDataBytes: long.MaxValue));
        Assert.Equal($"MNIST file '{dir.File(Images + ".gz")}': the header declares sizes 65536 x 65536, more bytes than one array can hold " +
            $"(at most {Array.MaxLength} elements per tensor); the header is corrupt.", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ANonPositiveLimitIsAnArgumentErrorNamingTheCaller(long limit)
    {
        var e = Assert.Throws<ArgumentException>(() => Mnist.Load("/nonexistent", maxDataBytes: limit));
        Assert.StartsWith($"Mnist.Load: maxDataBytes must be positive (the most data bytes one file may declare), got {limit}; the default is 134217728.", e.Message);
        Assert.Contains("IdxBombTests", e.Message);
    }
}
