namespace Nabla.IO;

/// <summary>
/// One tensor's entry in a safetensors header: its name, dtype, shape and the byte range
/// [<see cref="Begin"/>, <see cref="End"/>) it occupies in the data buffer (which starts after the header).
/// </summary>
/// <param name="Name">The tensor's key in the file.</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The sizes of the dimensions (empty for a 0-d tensor).</param>
/// <param name="Begin">First byte of the tensor's data, relative to the start of the data buffer.</param>
/// <param name="End">One past the last byte of the tensor's data.</param>
public sealed record SafeTensorInfo(string Name, DType DType, IReadOnlyList<int> Shape, long Begin, long End)
{
    /// <summary>"name: float32 [3, 4], bytes [0, 48)".</summary>
    public override string ToString() => $"{Name}: {DType.TorchName()} [{string.Join(", ", Shape)}], bytes [{Begin}, {End})";
}

/// <summary>
/// The parsed and validated header of a safetensors file: the tensor entries (in the order the
/// header lists them) and the free-form <c>__metadata__</c> strings (empty when the file has none).
/// </summary>
/// <param name="Tensors">The tensor entries, in header order.</param>
/// <param name="Metadata">The <c>__metadata__</c> map (empty when absent).</param>
/// <param name="HeaderLength">Length in bytes of the JSON header, padding included.</param>
public sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata, long HeaderLength)
{
    /// <summary>Offset in the file of the first data byte: 8 (the length prefix) plus the header length.</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>The entries one per line, then the metadata.</summary>
    public override string ToString() =>
        $"SafeTensorsHeader: {Tensors.Count} tensor(s), header {HeaderLength} bytes" +
        string.Concat(Tensors.Select(t => "\n  " + t)) +
        (Metadata.Count == 0 ? "" : "\n  metadata: " + string.Join(", ", Metadata.Select(kv => $"{kv.Key} = {kv.Value}")));
}
