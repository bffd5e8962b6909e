using System.Text.Json;

namespace Nabla.Graphs;

/// <summary>Reading the small values of a graph file (shapes, dtypes, devices, ids, int arrays), each validated.</summary>
internal static class GraphFileValues
{
    /// <summary>The device a file names ("cpu", "reference"), or null for one this process does not have.</summary>
    public static Device? DeviceOf(string name) => name switch
    {
        "cpu" => Device.Cpu,
        "reference" => Device.Reference,
        _ => null,
    };

    /// <summary>A shape: an array of sizes, checked by <see cref="Shape"/> itself (rank, element count).</summary>
    public static Shape ShapeOf(JsonElement e, Func<string, Exception> fail, string what)
    {
        if (e.ValueKind != JsonValueKind.Array) throw fail($"{what} must be a shape (an array of sizes), got {e.ValueKind}");
        // Checked before the sizes are read: "[1,1,1,...]" could otherwise ask for millions of them.
        if (e.GetArrayLength() > Shape.MaxRank) throw fail($"{what} has rank {e.GetArrayLength()}, above the limit of {Shape.MaxRank}");
        var dims = Ints(e, fail, what, min: 0);
        try { return new Shape(dims); }
        catch (ArgumentException x) { throw fail($"{what} is not a valid shape: {x.Message}"); }
    }

    public static DType DTypeOf(JsonElement e, Func<string, Exception> fail, string what)
    {
        var name = e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        return name is not null && Enum.GetNames<DType>().Contains(name, StringComparer.Ordinal) ? Enum.Parse<DType>(name)
            : throw fail($"{what} must be a dtype name ({string.Join(", ", Enum.GetNames<DType>())}), got {PrimitiveCodec.Clip(e.GetRawText())}");
    }

    public static Device DeviceOf(JsonElement e, Func<string, Exception> fail, string what) =>
        (e.ValueKind == JsonValueKind.String ? DeviceOf(e.GetString()!) : null)
        ?? throw fail($"{what} must be a device this process has (cpu, reference), got {PrimitiveCodec.Clip(e.GetRawText())}");

    /// <summary>An array of whole numbers, each at least <paramref name="min"/>, at most <paramref name="maxLength"/> of them.</summary>
    public static int[] Ints(JsonElement e, Func<string, Exception> fail, string what, int min = int.MinValue, int maxLength = PrimitiveCodec.MaxArrayLength)
    {
        if (e.ValueKind != JsonValueKind.Array) throw fail($"{what} must be an array of whole numbers, got {e.ValueKind}");
        if (e.GetArrayLength() > maxLength) throw fail($"{what} has {e.GetArrayLength()} entries, above the limit of {maxLength}");
        var result = new int[e.GetArrayLength()];
        int i = 0;
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var v) || v < min)
                throw fail($"{what}[{i}] must be a whole number >= {min}, got {PrimitiveCodec.Clip(item.GetRawText())}");
            result[i++] = v;
        }
        return result;
    }

    public static int Int(JsonElement parent, string name, Func<string, Exception> fail, int min = int.MinValue)
    {
        var e = PrimitiveCodec.Property(parent, name, JsonValueKind.Number, fail);
        return e.TryGetInt32(out var v) && v >= min ? v : throw fail($"'{name}' must be a whole number >= {min}, got {PrimitiveCodec.Clip(e.GetRawText())}");
    }

    public static bool Bool(JsonElement parent, string name, Func<string, Exception> fail)
    {
        if (!parent.TryGetProperty(name, out var e)) throw fail($"'{name}' is missing");
        return e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : throw fail($"'{name}' must be true or false, got {e.ValueKind}");
    }

    public static string String(JsonElement parent, string name, Func<string, Exception> fail, int maxLength = PrimitiveCodec.MaxStringLength)
    {
        var s = PrimitiveCodec.Property(parent, name, JsonValueKind.String, fail).GetString()!;
        return s.Length <= maxLength ? s : throw fail($"'{name}' is {s.Length} characters long, above the limit of {maxLength}");
    }

    public static JsonElement Array(JsonElement parent, string name, Func<string, Exception> fail, int maxLength)
    {
        var e = PrimitiveCodec.Property(parent, name, JsonValueKind.Array, fail);
        return e.GetArrayLength() <= maxLength ? e : throw fail($"'{name}' has {e.GetArrayLength()} entries, above the limit of {maxLength}");
    }
}
