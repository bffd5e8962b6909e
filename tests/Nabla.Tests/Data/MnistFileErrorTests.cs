using System.Buffers.Binary;
using System.IO.Compression;
using Nabla.Data;
using Nabla.Tests.IO;

namespace Nabla.Tests.Data;

/// <summary>Small crafted IDX files in a temp folder: valid ones load, broken ones say which file and what is wrong.</summary>
public class MnistFileErrorTests
{
    const string Images = "train-images-idx3-ubyte";
    const string Labels = "train-labels-idx1-ubyte";

    static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    static byte[] Gzip(byte[] data)
    {
        var memory = new MemoryStream();
        using (var gz = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return memory.ToArray();
    }

    static byte[] Pixels(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 % 256)).ToArray();

    static byte[] GoodImages(int count = 3, int rows = 4, int cols = 5) => Idx(2051, [count, rows, cols], Pixels(count * rows * cols));

    static byte[] GoodLabels(params byte[] labels) => Idx(2049, [labels.Length], labels);

    static void Write(TempDirectory dir, string name, byte[] bytes) => File.WriteAllBytes(dir.File(name), bytes);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SmallRawAndGzipFilesLoad(bool gzip)
    {
        using var dir = new TempDirectory();
        var images = GoodImages();
        var labels = GoodLabels(3, 0, 9);
        Write(dir, gzip ? Images + ".gz" : Images, gzip ? Gzip(images) : images);
        Write(dir, gzip ? Labels + ".gz" : Labels, gzip ? Gzip(labels) : labels);
        var data = Mnist.Load(dir.Path);
        Assert.Equal([3, 1, 4, 5], data.Images.Shape.ToArray());
        Assert.Equal(Pixels(60).Select(p => (float)(p / 255.0)), data.Images.ToArray<float>());
        Assert.Equal(new long[] { 3, 0, 9 }, data.Labels.ToArray<long>());
        var normalized = Mnist.Load(dir.Path, normalize: true).Images.ToArray<float>();
        Assert.Equal((float)((Pixels(60)[1] / 255.0 - 0.1307) / 0.3081), normalized[1]);
    }

    [Fact]
    public void MissingFilesAreNamed()
    {
        using var dir = new TempDirectory();
        var noFolder = Assert.Throws<FileNotFoundException>(() => Mnist.Load(dir.File("nope")));
        Assert.Contains($"the folder '{dir.File("nope")}' does not exist", noFolder.Message);
        Write(dir, Images, GoodImages());
        var noLabels = Assert.Throws<FileNotFoundException>(() => Mnist.Load(dir.Path));
        Assert.Contains($"neither '{dir.File(Labels)}' nor '{dir.File(Labels)}.gz' exists", noLabels.Message);
        var noTest = Assert.Throws<FileNotFoundException>(() => Mnist.Load(dir.Path, train: false));
        Assert.Contains("t10k-images-idx3-ubyte", noTest.Message);
    }

    public static TheoryData<string, byte[], string> BrokenImageFiles() => new()
    {
        { "wrong magic", Idx(1234, [3, 4, 5], Pixels(60)), "wrong magic number 1234 (0x000004D2); expected 2051 (0x00000803) for an images file" },
        { "labels where images belong", GoodLabels(1, 2, 3), "but this is a labels file (1-d unsigned bytes): are the file names swapped?" },
        { "too short", [0, 0], "it is too short to be an IDX file (2 bytes" },
        { "header cut", GoodImages()[..10], "the file ends inside its header (10 of 16 bytes)" },
        { "data cut", GoodImages()[..50], "it is truncated: the header declares 3 x 4 x 5 = 60 bytes of data but only 34 follow" },
        { "extra data", [.. GoodImages(), 1, 2], "it has 2 extra bytes after the 60 bytes of data" },
        { "negative count", Idx(2051, [-1, 4, 5], []), "size 0 in the header is -1" },
        { "zero rows", Idx(2051, [3, 0, 5], []), "size 1 in the header is 0" },
        { "absurd sizes", Idx(2051, [int.MaxValue, 28, 28], Pixels(100)), "more bytes than one array can hold" },
        { "gzip data cut", Gzip(GoodImages())[..^12], "it is truncated: the header declares 3 x 4 x 5 = 60 bytes of data but the file ends after" },
        { "gzip truncated content", Gzip(GoodImages()[..50]), "the file ends after 34" },
        { "gzip extra content", Gzip([.. GoodImages(), 9]), "it holds more data than the 60 bytes its header declares" },
        { "gzip lying header", Gzip(Idx(2051, [100000, 28, 28], Pixels(10))), "78400000 bytes of data but the file ends after 10" },
        { "corrupt gzip", [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "the gzip data is corrupt" },
    };

    [Theory]
    [MemberData(nameof(BrokenImageFiles))]
    public void BrokenImageFilesSayWhatIsWrong(string why, byte[] file, string message)
    {
        using var dir = new TempDirectory();
        bool gzip = file.Length > 1 && file[0] == 0x1F && file[1] == 0x8B;
        var name = gzip ? Images + ".gz" : Images;
        Write(dir, name, file);
        Write(dir, Labels, GoodLabels(1, 2, 3));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path));
        Assert.StartsWith($"MNIST file '{dir.File(name)}': ", e.Message);
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{why}: expected \"{message}\" in \"{e.Message}\"");
    }

    [Fact]
    public void ImagesAndLabelsMustAgree()
    {
        using var dir = new TempDirectory();
        Write(dir, Images, GoodImages(3));
        Write(dir, Labels, GoodLabels(1, 2));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path));
        Assert.Contains($"'{dir.File(Images)}' and '{dir.File(Labels)}' disagree: 3 images but 2 labels", e.Message);
    }

    [Fact]
    public void LabelsMustBeDigits()
    {
        using var dir = new TempDirectory();
        Write(dir, Images, GoodImages(3));
        Write(dir, Labels, GoodLabels(1, 10, 3));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path));
        Assert.Contains($"MNIST file '{dir.File(Labels)}': label 1 is 10, not a digit 0..9", e.Message);
    }

    [Fact]
    public void ImagesWhereLabelsBelongAreCaught()
    {
        using var dir = new TempDirectory();
        Write(dir, Images, GoodImages(3));
        Write(dir, Labels, GoodImages(3));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path));
        Assert.Contains("expected 2049 (0x00000801) for a labels file", e.Message);
        Assert.Contains("are the file names swapped?", e.Message);
    }
}
