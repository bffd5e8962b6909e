using System.IO.Compression;
using Nabla.Data;

namespace Nabla.Tests.Data;

/// <summary>Loads the training and test sets once for the tests on the real files in data/mnist.</summary>
public sealed class MnistFixture
{
    public MnistDataset Train { get; } = Mnist.Load();
    public MnistDataset Test { get; } = Mnist.Load(train: false);
}

public class MnistTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    static byte[] RawBytes(string file)
    {
        var root = Mnist.FindDataDirectory() ?? throw new DirectoryNotFoundException("data/mnist");
        using var gz = new GZipStream(File.OpenRead(Path.Combine(root, file)), CompressionMode.Decompress);
        var memory = new MemoryStream();
        gz.CopyTo(memory);
        return memory.ToArray();
    }

    [Fact]
    public void TheRepositoryShipsTheDataAndItIsFoundFromTheTestDirectory()
    {
        var root = Mnist.FindDataDirectory();
        Assert.NotNull(root);
        Assert.True(File.Exists(Path.Combine(root, "train-images-idx3-ubyte.gz")));
        Assert.True(File.Exists(Path.Combine(root, "SOURCE.md")));
    }

    [Fact]
    public void TrainingSetHasSixtyThousandImagesAndLabels()
    {
        var train = mnist.Train;
        Assert.True(train.Train);
        Assert.Equal(60000, train.Count);
        Assert.Equal([60000, 1, 28, 28], train.Images.Shape.ToArray());
        Assert.Equal(DType.Float32, train.Images.DType);
        Assert.Equal([60000], train.Labels.Shape.ToArray());
        Assert.Equal(DType.Int64, train.Labels.DType);
        var labels = train.Labels.ToArray<long>();
        Assert.Equal(5, labels[0]);
        // The canonical class counts of the training labels (data/mnist/SOURCE.md).
        Assert.Equal(new[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 },
            Enumerable.Range(0, 10).Select(d => labels.Count(l => l == d)));
    }

    [Fact]
    public void TestSetHasTenThousandImagesAndStartsWithASeven()
    {
        var (images, labels) = mnist.Test;
        Assert.False(mnist.Test.Train);
        Assert.Equal([10000, 1, 28, 28], images.Shape.ToArray());
        Assert.Equal(7, labels.ToArray<long>()[0]);
        Assert.Equal(2, labels.ToArray<long>()[1]);   // the test set begins 7, 2, 1, 0, 4
        Assert.Equal(new long[] { 7, 2, 1, 0, 4 }, labels.ToArray<long>()[..5]);
    }

    [Fact]
    public void PixelsAreTheFileBytesOver255()
    {
        var raw = RawBytes("train-images-idx3-ubyte.gz");
        var first = mnist.Train.Images[0].ToArray<float>();
        Assert.Equal(784, first.Length);
        // IDX images file: 16-byte header (magic, count, rows, cols), then 784 bytes per image.
        var bytes = raw.AsSpan(16, 784).ToArray();
        for (int i = 0; i < 784; i++) Assert.Equal((float)(bytes[i] / 255.0), first[i]);
        long byteSum = bytes.Sum(b => (long)b);
        Assert.True(byteSum > 0);
        Assert.Equal(byteSum / 255.0, first.Sum(v => (double)v), 3);
        Assert.Equal(byteSum / 255.0, mnist.Train.Images[0].Sum().Item<float>(), 2);
        var all = mnist.Train.Images.ToArray<float>();
        Assert.Equal(0f, all.Min());
        Assert.Equal(1f, all.Max());
        // The last image too: the whole file was read, in order.
        var last = mnist.Train.Images[^1].ToArray<float>();
        for (int i = 0; i < 784; i++) Assert.Equal((float)(raw[16 + 59999 * 784 + i] / 255.0), last[i]);
    }

    [Fact]
    public void NormalizationUsesTheTrainingMeanAndStd()
    {
        var normalized = Mnist.Load(normalize: true).Images.ToArray<float>();
        var plain = mnist.Train.Images.ToArray<float>();
        for (int i = 0; i < 5000; i++) Assert.Equal((float)((plain[i] - 0.1307) / 0.3081), normalized[i], 1e-6f);
        // 0.1307 and 0.3081 are the training set's pixel mean and std rounded to 4 digits, so the
        // normalized set has mean 0 and std 1 to about 1e-3.
        double mean = normalized.Sum(v => (double)v) / normalized.Length;
        double std = Math.Sqrt(normalized.Sum(v => (v - mean) * (v - mean)) / normalized.Length);
        Assert.InRange(mean, -1e-3, 1e-3);
        Assert.InRange(std, 1 - 1e-3, 1 + 1e-3);
    }

    [Fact]
    public void TheLoaderBatchesMnist()
    {
        var loader = new DataLoader(mnist.Test, batchSize: 64, shuffle: true, seed: 1);
        Assert.Equal(157, loader.Count);   // ceil(10000 / 64)
        var batches = loader.ToList();
        Assert.Equal([64, 1, 28, 28], batches[0][0].Shape.ToArray());
        Assert.Equal([16, 1, 28, 28], batches[^1][0].Shape.ToArray());   // 10000 = 156 * 64 + 16
        Assert.Equal([64], batches[0][1].Shape.ToArray());
        var labels = batches.SelectMany(b => b[1].ToArray<long>()).ToArray();
        var expected = mnist.Test.Labels.ToArray<long>();
        Assert.Equal(expected.Order(), labels.Order());
        Assert.NotEqual(expected, labels);
    }
}
