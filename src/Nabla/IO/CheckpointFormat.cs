using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Nabla.Engine;

namespace Nabla.IO;

/// <summary>
/// A checkpoint's layout inside a safetensors file, and its integrity check. Tensors: <c>model.{state dict key}</c>
/// and <c>optimizer.{OptimizerStateDict.ToTensors key}</c>. Metadata: <c>nabla.checkpoint</c> (the format version),
/// <c>step</c>, <c>epoch</c>, <c>has_optimizer</c>, <c>scheduler.{key}</c> (round-trip doubles), <c>user.{key}</c>,
/// and <c>checksum</c>: SHA-256 over every tensor's name, dtype, shape and offsets, every other metadata entry
/// (sorted by key) and the data bytes, so any change to the file after it was written (a flipped byte, a tensor
/// removed, metadata edited) is detected before anything is loaded.
/// </summary>
internal static class CheckpointFormat
{
    public const string VersionKey = "nabla.checkpoint";
    public const string Version = "1";
    public const string ChecksumKey = "checksum";
    public const string ModelPrefix = "model.";
    public const string OptimizerPrefix = "optimizer.";
    public const string SchedulerPrefix = "scheduler.";
    public const string UserPrefix = "user.";
    const string ChecksumScheme = "sha256:";

    /// <summary>
    /// Records the checksum of the file <paramref name="tensors"/> and <paramref name="metadata"/> make in
    /// <paramref name="metadata"/> (serialized once here, to checksum the very bytes the file will hold: the data
    /// section does not depend on the metadata).
    /// </summary>
    public static void AddChecksum(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata, string path)
    {
        var bytes = SafeTensors.Serialize(tensors, metadata);
        var header = SafeTensorsReader.ReadHeader(new MemoryStream(bytes, writable: false), path);
        metadata[ChecksumKey] = Checksum(header, bytes);
    }

    /// <summary>A checkpoint read and verified from its bytes: nothing in it has been applied to anything yet.</summary>
    public sealed record Contents(Dictionary<string, Tensor> Model, Dictionary<string, Tensor>? Optimizer,
        Dictionary<string, double> Scheduler, CheckpointInfo Info);

    /// <summary>
    /// Parses and verifies the whole checkpoint in <paramref name="bytes"/>: safetensors structure, format version,
    /// checksum, then the entries. Throws <see cref="InvalidDataException"/> naming <paramref name="path"/> and the problem.
    /// </summary>
    public static Contents Read(byte[] bytes, string path)
    {
        SafeTensorsHeader header;
        try { header = SafeTensorsReader.ReadHeader(new MemoryStream(bytes, writable: false), path); }
        catch (InvalidDataException e) { throw Invalid(path, e.Message + " The file is truncated or corrupt", e); }
        var meta = header.Metadata;
        if (!meta.TryGetValue(VersionKey, out var version))
            throw Invalid(path, $"it is a safetensors file but not a Nabla checkpoint (no '{VersionKey}' metadata); a model-only file loads with Module.Load");
        if (version != Version)
            throw Invalid(path, $"it is checkpoint format version {version}; this Nabla reads version {Version}");
        if (!meta.TryGetValue(ChecksumKey, out var recorded))
            throw Invalid(path, "it records no checksum, so its contents cannot be verified");
        var actual = Checksum(header, bytes);
        if (recorded != actual)
            throw Invalid(path, $"its contents do not match the checksum it records (recorded {recorded}, computed {actual}): the file was " +
                "changed or damaged after it was written (a partial copy, a disk error, an edit)");

        var tensors = SafeTensorsReader.ReadTensors(new MemoryStream(bytes, writable: false), path);
        var model = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var optimizer = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in tensors)
        {
            if (name.StartsWith(ModelPrefix, StringComparison.Ordinal)) model[name[ModelPrefix.Length..]] = t;
            else if (name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optimizer[name[OptimizerPrefix.Length..]] = t;
            else throw Invalid(path, $"it holds tensor '{name}', which is neither 'model.*' nor 'optimizer.*'");
        }
        var scheduler = new Dictionary<string, double>(StringComparer.Ordinal);
        var user = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in meta)
        {
            if (key.StartsWith(SchedulerPrefix, StringComparison.Ordinal))
                scheduler[key[SchedulerPrefix.Length..]] = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                    : throw Invalid(path, $"scheduler entry '{key}' is '{value}', not a number");
            else if (key.StartsWith(UserPrefix, StringComparison.Ordinal)) user[key[UserPrefix.Length..]] = value;
        }
        long step = long.TryParse(meta.GetValueOrDefault("step"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s
            : throw Invalid(path, $"its 'step' metadata is '{meta.GetValueOrDefault("step")}', not a whole number >= 0");
        int epoch = int.TryParse(meta.GetValueOrDefault("epoch"), NumberStyles.None, CultureInfo.InvariantCulture, out var e2) ? e2
            : throw Invalid(path, $"its 'epoch' metadata is '{meta.GetValueOrDefault("epoch")}', not a whole number >= 0");
        bool hasOptimizer = meta.GetValueOrDefault("has_optimizer") == "1";
        return new Contents(model, hasOptimizer ? optimizer : null, scheduler, new CheckpointInfo(step, epoch, user));
    }

    /// <summary>"sha256:" + hex of the header's entries (sorted, checksum excluded) and the data bytes.</summary>
    static string Checksum(SafeTensorsHeader header, byte[] bytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var text = new StringBuilder();
        foreach (var t in header.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
            text.Append("tensor\0").Append(t.Name).Append('\0').Append(t.DType.TorchName()).Append('\0')
                .Append(string.Join(",", t.Shape)).Append('\0').Append(t.Begin).Append('\0').Append(t.End).Append('\n');
        foreach (var (key, value) in header.Metadata.Where(kv => kv.Key != ChecksumKey).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            text.Append("meta\0").Append(key).Append('\0').Append(value).Append('\n');
        hash.AppendData(Encoding.UTF8.GetBytes(text.ToString()));
        hash.AppendData(bytes.AsSpan(checked((int)header.DataStart)));
        return ChecksumScheme + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static InvalidDataException Invalid(string path, string problem, Exception? inner = null) =>
        new($"Checkpoint.Load: '{path}' cannot be loaded: {problem}. Nothing was loaded (the model and optimizer are unchanged); " +
            $"resume from an earlier checkpoint or save a new one (called from {CallSite.Describe()})", inner);
}
