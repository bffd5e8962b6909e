namespace Nabla.IO;

/// <summary>
/// Reads and writes the Hugging Face safetensors format: an 8-byte little-endian header length,
/// a JSON header (<c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}</c>)
/// and the packed little-endian tensor data. Files written here are byte-identical to what the
/// reference writer (and so PyTorch's <c>safetensors.torch.save_file</c>) produces for the same tensors,
/// and loading validates the whole file, rejecting anything malformed with an <see cref="InvalidDataException"/>.
/// </summary>
/// <example><code>
/// SafeTensors.Save("model.safetensors", new Dictionary&lt;string, Tensor&gt; { ["w"] = Tensor.Ones(2, 3) },
///     new Dictionary&lt;string, string&gt; { ["format"] = "pt" });
/// var loaded = SafeTensors.Load("model.safetensors");   // loaded["w"]: float32 [2, 3]
/// </code></example>
public static class SafeTensors
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (and optional string <paramref name="metadata"/>) to
    /// <paramref name="path"/>, atomically: the file is written to a temporary file in the same folder,
    /// flushed to disk and then moved over <paramref name="path"/>. If anything fails, the old file (if
    /// any) is left untouched and the temporary file is removed. A save killed midway (SIGKILL, power cut)
    /// cannot remove its temporary file (<c>.NAME.&lt;32 hex digits&gt;.tmp</c> next to the target); the next
    /// save of the same target deletes every such file that no live writer holds open (a writer holds its
    /// file, with an OS lock, until the rename), so stale files do not pile up and a concurrent save of the
    /// same target is never disturbed. Files modified in the last two seconds are left for a later save.
    /// Non-contiguous views are written in row-major order; values are stored bit for bit (NaN and
    /// infinities included); autodiff state is not saved.
    /// </summary>
    /// <exception cref="ArgumentException">A name is <c>__metadata__</c> (reserved) or not valid Unicode, or a tensor is null.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, tensors, metadata, wrap: null);

    /// <summary>The atomic save, with a hook that wraps the file stream (tests use it to fail a write midway).</summary>
    internal static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata,
        Func<Stream, Stream>? wrap)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var writer = SafeTensorsWriter.Prepare(tensors, metadata);   // argument errors surface before any file is made
        AtomicFile.Write(path, "SafeTensors.Save", writer.WriteTo, wrap);
    }

    /// <summary>Writes the safetensors bytes to <paramref name="stream"/> (no atomicity; see <see cref="Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>).</summary>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        SafeTensorsWriter.Prepare(tensors, metadata).WriteTo(stream);
    }

    /// <summary>The safetensors file for <paramref name="tensors"/> as a byte array.</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var writer = SafeTensorsWriter.Prepare(tensors, metadata);
        var stream = new MemoryStream(checked((int)writer.Length));
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>
    /// Loads every tensor of the file at <paramref name="path"/> (keys in header order), each a new
    /// contiguous tensor that does not require gradients. The whole file is validated first.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message says why.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = OpenRead(path);
        return SafeTensorsReader.ReadTensors(file, path);
    }

    /// <summary>
    /// Loads every tensor from a seekable <paramref name="stream"/>, from its current position to its end.
    /// <paramref name="sourceName"/> names the stream in error messages.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file.</exception>
    /// <exception cref="ArgumentException">The stream cannot seek.</exception>
    public static Dictionary<string, Tensor> Load(Stream stream, string sourceName = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        return SafeTensorsReader.ReadTensors(stream, sourceName);
    }

    /// <summary>Loads every tensor from the bytes of a safetensors file.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file.</exception>
    public static Dictionary<string, Tensor> Deserialize(byte[] data, string sourceName = "<bytes>")
    {
        ArgumentNullException.ThrowIfNull(data);
        return SafeTensorsReader.ReadTensors(new MemoryStream(data, writable: false), sourceName);
    }

    /// <summary>Loads every tensor and the <c>__metadata__</c> map of the file at <paramref name="path"/>.</summary>
    public static (Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) LoadWithMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = OpenRead(path);
        var tensors = SafeTensorsReader.ReadTensors(file, path, out var header);
        return (tensors, header.Metadata);
    }

    /// <summary>
    /// The <c>__metadata__</c> strings of the file at <paramref name="path"/> (empty when it has none),
    /// reading only the header (which is fully validated) and no tensor data.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => ReadHeader(path).Metadata;

    /// <summary>The validated header of the file at <paramref name="path"/>: names, dtypes, shapes, offsets and metadata.</summary>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = OpenRead(path);
        return SafeTensorsReader.ReadHeader(file, path);
    }

    static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
}
