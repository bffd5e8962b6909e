using System.Globalization;
using System.Runtime.InteropServices;

namespace Nabla.Graphs;

/// <summary>
/// The values a guard compares: a tensor's elements as raw bytes.
/// </summary>
internal static class HostValues
{
    /// <summary>
    /// The elements of <paramref name="t"/>, row-major, as bytes (floats compare by their bits: -0 differs
    /// from 0, NaN equals the same NaN). <paramref name="observed"/>: through Dispatch, so the interpreters
    /// see a host read (a replay's guard inside an outer trace must become the outer graph's guard too);
    /// a tracer reading for itself passes false.
    /// </summary>
    public static byte[] Bytes(Tensor t, bool observed) => t.DType switch
    {
        DType.Float32 => Read<float>(t, observed),
        DType.Float64 => Read<double>(t, observed),
        DType.Int32 => Read<int>(t, observed),
        DType.Int64 => Read<long>(t, observed),
        DType.Bool => Read<bool>(t, observed),
        _ => throw new InvalidOperationException($"internal: dtype {t.DType}"),
    };

    /// <summary>The first few values of <paramref name="bytes"/> (of <paramref name="dtype"/>) as text, for messages.</summary>
    public static string Format(byte[] bytes, DType dtype)
    {
        var values = dtype switch
        {
            DType.Float32 => Texts(MemoryMarshal.Cast<byte, float>(bytes).ToArray()),
            DType.Float64 => Texts(MemoryMarshal.Cast<byte, double>(bytes).ToArray()),
            DType.Int32 => Texts(MemoryMarshal.Cast<byte, int>(bytes).ToArray()),
            DType.Int64 => Texts(MemoryMarshal.Cast<byte, long>(bytes).ToArray()),
            _ => Texts(MemoryMarshal.Cast<byte, bool>(bytes).ToArray()),
        };
        return values.Count == 1 ? values[0] : "[" + string.Join(", ", values) + (values.Count == Shown ? ", ..." : "") + "]";
    }

    const int Shown = 6;

    static List<string> Texts<T>(T[] values) where T : IFormattable =>
        [.. values.Take(Shown).Select(v => v.ToString(null, CultureInfo.InvariantCulture))];

    static List<string> Texts(bool[] values) => [.. values.Take(Shown).Select(v => v ? "true" : "false")];

    static byte[] Read<T>(Tensor t, bool observed) where T : unmanaged
    {
        var host = new T[t.NumElements];
        if (host.Length > 0 && observed) Engine.Dispatch.ToHost(t, host);
        else if (host.Length > 0) t.Storage.Backend.CopyToHost(t, host, 0);
        return MemoryMarshal.AsBytes(host.AsSpan()).ToArray();
    }
}
