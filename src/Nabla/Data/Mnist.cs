using Nabla.Engine;

namespace Nabla.Data;

/// <summary>
/// The MNIST handwritten digits (LeCun, Cortes, Burges; CC BY-SA 3.0), read from the original IDX
/// files, gzip-compressed (<c>train-images-idx3-ubyte.gz</c>, ...) or not. The repository ships
/// them in <c>data/mnist</c>.
/// </summary>
/// <example><code>
/// var train = Mnist.Load();                       // 60000 samples
/// var test = Mnist.Load(train: false, normalize: true);
/// train.Images.Shape;                             // [60000, 1, 28, 28] float32 in [0, 1]
/// train.Labels[0].Item&lt;long&gt;();                 // 5
/// </code></example>
public static class Mnist
{
    /// <summary>Mean pixel value of the training images after scaling to [0, 1] (the usual normalization constant).</summary>
    public const double Mean = 0.1307;

    /// <summary>Standard deviation of the training pixels after scaling to [0, 1].</summary>
    public const double Std = 0.3081;

    /// <summary>
    /// The default for <see cref="Load"/>'s <c>maxDataBytes</c>: 128 MiB of data per file, as its header
    /// declares it (after decompression). The real training images are 47,040,000 bytes (60000 x 28 x 28),
    /// so this leaves room for a larger MNIST-format set while a gzip bomb (a few KB that would inflate
    /// to hundreds of MB, as 4 bytes of float32 per pixel once loaded) is refused from its header alone.
    /// </summary>
    public const long DefaultMaxDataBytes = 128L * 1024 * 1024;

    /// <summary>
    /// Loads the training set (60000 images) or, with <paramref name="train"/> false, the test set
    /// (10000). Images are float32 [N, 1, 28, 28], pixels scaled to [0, 1], or with
    /// <paramref name="normalize"/> to (p - <see cref="Mean"/>) / <see cref="Std"/>; labels int64 [N] in 0..9.
    /// <paramref name="root"/> is the folder with the files; without it, a <c>data/mnist</c> folder is
    /// looked for in the current directory, the application's directory and their parents.
    /// <paramref name="maxDataBytes"/> caps the data each file's header may declare (checked before
    /// anything is inflated or read; a file whose data runs past or falls short of its header is an
    /// error too); raise it to load a larger, trusted MNIST-format file.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing (the message lists the names tried).</exception>
    /// <exception cref="DirectoryNotFoundException">No root was given and no <c>data/mnist</c> folder was found.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated, declares more data than <paramref name="maxDataBytes"/>,
    /// or the images and labels disagree; the message names the file.</exception>
    /// <exception cref="ArgumentException"><paramref name="maxDataBytes"/> is not positive.</exception>
    public static MnistDataset Load(string? root = null, bool train = true, bool normalize = false, long maxDataBytes = DefaultMaxDataBytes)
    {
        if (maxDataBytes <= 0)
            throw Errors.Arg("Mnist.Load", $"maxDataBytes must be positive (the most data bytes one file may declare), got {maxDataBytes}; the default is {DefaultMaxDataBytes}.");
        root ??= FindDataDirectory() ?? throw new DirectoryNotFoundException(
            $"MNIST: no data/mnist folder found in '{Directory.GetCurrentDirectory()}', '{AppContext.BaseDirectory}' or their parents; " +
            "pass the folder that holds the MNIST files as root.");
        string prefix = train ? "train" : "t10k";
        var imagesPath = FindFile(root, $"{prefix}-images-idx3-ubyte");
        var labelsPath = FindFile(root, $"{prefix}-labels-idx1-ubyte");

        var (imageDims, pixels) = IdxReader.Read(imagesPath, IdxReader.ImagesMagic, maxDataBytes);
        var (labelDims, labelBytes) = IdxReader.Read(labelsPath, IdxReader.LabelsMagic, maxDataBytes);
        int n = imageDims[0], rows = imageDims[1], cols = imageDims[2];
        if (labelDims[0] != n)
            throw new InvalidDataException($"MNIST files '{imagesPath}' and '{labelsPath}' disagree: {n} images but {labelDims[0]} labels.");

        var labels = new long[n];
        for (int i = 0; i < n; i++)
        {
            if (labelBytes[i] > 9)
                throw IdxReader.Error(labelsPath, $"label {i} is {labelBytes[i]}, not a digit 0..9; the file is corrupt.");
            labels[i] = labelBytes[i];
        }

        // 256 possible bytes: convert through a table so every image gets the exact same float per value.
        var table = new float[256];
        for (int p = 0; p < 256; p++) table[p] = normalize ? (float)((p / 255.0 - Mean) / Std) : (float)(p / 255.0);
        var values = GC.AllocateUninitializedArray<float>(pixels.Length);
        for (int i = 0; i < pixels.Length; i++) values[i] = table[pixels[i]];

        // Adopt the arrays as storage (FromArray would copy 188 MB of training images once more).
        var images = Dispatch.AdoptHost(values, new Shape(n, 1, rows, cols));
        return new MnistDataset(images, Dispatch.AdoptHost(labels, new Shape(n)), train);
    }

    /// <summary>
    /// The first <c>data/mnist</c> folder found walking up from the current directory, then from the
    /// application's base directory; null when there is none.
    /// </summary>
    public static string? FindDataDirectory()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "data", "mnist");
                if (Directory.Exists(candidate)) return candidate;
            }
        return null;
    }

    static string FindFile(string root, string name)
    {
        var raw = Path.Combine(root, name);
        if (File.Exists(raw)) return raw;
        if (File.Exists(raw + ".gz")) return raw + ".gz";
        throw new FileNotFoundException(
            Directory.Exists(root)
                ? $"MNIST: neither '{raw}' nor '{raw}.gz' exists."
                : $"MNIST: the folder '{root}' does not exist (looking for '{name}' or '{name}.gz').", raw + ".gz");
    }
}

/// <summary>MNIST images and labels as a <see cref="TensorDataset"/>: sample i is [image [1, 28, 28], label (0-d int64)].</summary>
public sealed class MnistDataset : TensorDataset
{
    internal MnistDataset(Tensor images, Tensor labels, bool train) : base(images, labels)
    {
        Images = images;
        Labels = labels;
        Train = train;
    }

    /// <summary>All images, float32 [N, 1, 28, 28].</summary>
    public Tensor Images { get; }

    /// <summary>All labels, int64 [N], digits 0..9.</summary>
    public Tensor Labels { get; }

    /// <summary>True for the training set, false for the test set.</summary>
    public bool Train { get; }

    /// <summary>Deconstructs into (images, labels): <c>var (x, y) = Mnist.Load();</c>.</summary>
    public void Deconstruct(out Tensor images, out Tensor labels)
    {
        images = Images;
        labels = Labels;
    }
}
