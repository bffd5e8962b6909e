using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Nabla.Primitives;

namespace Nabla.Graphs;

/// <summary>
/// Writes a primitive as its type name and its fields, and builds it back, with no code per op: every
/// instance field of the primitive's class and its bases (but <see cref="Primitive.SideOutputs"/>, one
/// call's results) is written by its type. Allowed field types: numbers, bool, string, enums (DType
/// among them), <see cref="Shape"/>, <see cref="Device"/>, arrays of these, and small records of these
/// declared in Nabla (Im2Col's geometry, Adam's coefficients). Anything else (a tensor, a delegate, a
/// custom function) makes the op unsavable, and saving says so. Loading instantiates only non-generic
/// Primitive subclasses of the Nabla assembly whose fields all pass the same rule, and requires exactly
/// their fields, so a file can make nothing but the ops Nabla itself makes.
/// </summary>
[UnconditionalSuppressMessage("Trimming", "IL2026", Justification = Kept)]
[UnconditionalSuppressMessage("Trimming", "IL2067", Justification = Kept)]
[UnconditionalSuppressMessage("Trimming", "IL2070", Justification = Kept)]
[UnconditionalSuppressMessage("Trimming", "IL2075", Justification = Kept)]
[UnconditionalSuppressMessage("Trimming", "IL2077", Justification = Kept)]
internal static class PrimitiveCodec
{
    const string Kept = "Nabla.dll is kept whole when an app is trimmed or compiled with NativeAOT (its embedded ILLink.Descriptors.xml), so every primitive, check and record type with its fields and constructors is there to find.";

    /// <summary>Most elements of one array field, and most characters of one string field.</summary>
    public const int MaxArrayLength = 1 << 20;
    public const int MaxStringLength = 4096;
    const int MaxNesting = 4;

    static readonly Assembly Nabla = typeof(Primitive).Assembly;

    /// <summary>Every primitive type a file may name, by full name (only the savable ones).</summary>
    static readonly Lazy<Dictionary<string, Type>> Savable = new(() =>
        Nabla.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Primitive)) && !t.IsAbstract && !t.ContainsGenericParameters && WhyUnsavable(t) is null)
            .ToDictionary(t => t.FullName!, StringComparer.Ordinal));

    /// <summary>The concrete primitive types of Nabla and why each one cannot be saved (null: it can).</summary>
    public static IEnumerable<(Type Type, string? Why)> AllPrimitiveTypes() =>
        Nabla.GetTypes().Where(t => t.IsSubclassOf(typeof(Primitive)) && !t.IsAbstract && !t.ContainsGenericParameters)
            .Select(t => (t, WhyUnsavable(t)));

    /// <summary>
    /// Why instances of <paramref name="type"/> cannot be written (a field of an unsupported type), or null.
    /// Remembered per type: a trace asks it for every op it records.
    /// </summary>
    public static string? WhyUnsavable(Type type) => Unsavable.GetOrAdd(type, WhyUnsavableUncached);

    static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string?> Unsavable = new();

    static string? WhyUnsavableUncached(Type type)
    {
        foreach (var (name, field) in Fields(type))
            if (!Supported(field.FieldType, 0))
                return $"its field '{name}' is a {Readable(field.FieldType)}, which a graph file cannot hold";
        return Fields(type).GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1) is { } dup
            ? $"it has two fields named '{dup.Key}'" : null;
    }

    /// <summary>Writes <paramref name="op"/> as <c>{"type": ..., "fields": {...}}</c>; throws when it cannot be saved.</summary>
    public static void Write(Utf8JsonWriter json, Primitive op, string where)
    {
        if (WhyUnsavable(op.GetType()) is { } why)
            throw new NotSupportedException($"{where}: the op {op.Name} ({op.GetType().Name}) can't be saved: {why}.");
        WriteTyped(json, op);
    }

    /// <summary><c>{"type": full name, "fields": {name: value, ...}}</c> for an object of plain data.</summary>
    static void WriteTyped(Utf8JsonWriter json, object value)
    {
        var type = value.GetType();
        json.WriteStartObject();
        json.WriteString("type", type.FullName);
        json.WriteStartObject("fields");
        foreach (var (name, field) in Fields(type))
        {
            json.WritePropertyName(name);
            WriteValue(json, field.FieldType, field.GetValue(value));
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The type an element written by <see cref="WriteTyped"/> names, among <paramref name="allowed"/>, and its fields.</summary>
    static (Type Type, JsonElement Fields) ReadTyped(JsonElement e, Dictionary<string, Type> allowed, string kind, string notAllowed, Func<string, Exception> fail)
    {
        if (e.ValueKind != JsonValueKind.Object) throw fail($"the {kind} must be an object with 'type' and 'fields', got {e.ValueKind}");
        string typeName = Property(e, "type", JsonValueKind.String, fail).GetString()!;
        if (!allowed.TryGetValue(typeName, out var type)) throw fail($"'{Clip(typeName)}' {notAllowed}");
        return (type, Property(e, "fields", JsonValueKind.Object, fail));
    }

    /// <summary>Every value check a file may name (the sealed <see cref="Engine.ValueCheck"/> records of Nabla), by full name.</summary>
    static readonly Lazy<Dictionary<string, Type>> SavableChecks = new(() =>
        Nabla.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Engine.ValueCheck)) && t.IsSealed && !t.ContainsGenericParameters
                && Fields(t).All(f => Supported(f.Field.FieldType, 0)))
            .ToDictionary(t => t.FullName!, StringComparer.Ordinal));

    /// <summary>Writes a check as <c>{"type": ..., "fields": {...}}</c>, like a primitive.</summary>
    public static void WriteCheck(Utf8JsonWriter json, Engine.ValueCheck check, string where)
    {
        if (!SavableChecks.Value.ContainsKey(check.GetType().FullName!))
            throw new NotSupportedException($"{where}: the value check {check.GetType().Name} can't be saved.");
        WriteTyped(json, check);
    }

    /// <summary>The check an element written by <see cref="WriteCheck"/> describes (only Nabla's own check types).</summary>
    public static Engine.ValueCheck ReadCheck(JsonElement e, Func<string, Exception> fail)
    {
        var (type, fields) = ReadTyped(e, SavableChecks.Value, "check", "is not a value check of this version of Nabla", fail);
        var check = (Engine.ValueCheck)RuntimeHelpers.GetUninitializedObject(type);
        ReadFields(fields, type, check, 0, $"check {type.Name}", fail);
        return check;
    }

    /// <summary>The primitive an element written by <see cref="Write"/> describes; <paramref name="fail"/> makes the error for a bad element.</summary>
    public static Primitive Read(JsonElement e, Func<string, Exception> fail)
    {
        var (type, fields) = ReadTyped(e, Savable.Value, "op", "is not a primitive of this version of Nabla that a graph file may hold", fail);
        var op = (Primitive)RuntimeHelpers.GetUninitializedObject(type);
        ReadFields(fields, type, op, 0, $"op {type.Name}", fail);
        // ForReplay gives a clean record (SideOutputs empty), as every run makes from it anyway.
        return op.ForReplay();
    }

    static void ReadFields(JsonElement fields, Type type, object target, int depth, string what, Func<string, Exception> fail)
    {
        var expected = Fields(type).ToDictionary(f => f.Name, f => f.Field, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in fields.EnumerateObject())
        {
            if (!expected.TryGetValue(p.Name, out var field))
                throw fail($"{what} has no field '{Clip(p.Name)}' (it has: {string.Join(", ", expected.Keys)})");
            if (!seen.Add(p.Name)) throw fail($"{what} gives field '{p.Name}' twice");
            field.SetValue(target, ReadValue(p.Value, field.FieldType, depth, $"{what}, field '{p.Name}'", fail));
        }
        foreach (var name in expected.Keys)
            if (seen.Contains(name)) continue;
            else if (AddedFields.TryGetValue((type, name), out var value)) expected[name].SetValue(target, value(target));
            else throw fail($"{what} lacks its field '{name}'");
    }

    /// <summary>
    /// Fields added to a savable type after files of this format version were written, with the value that reads such a
    /// file as it was meant (computed from the fields already read): a file without the field still loads.
    /// </summary>
    static readonly Dictionary<(Type, string), Func<object, object>> AddedFields = new()
    {
        // Several-output fused programs (issue 13, session 8): before them a program's one result was its last step.
        [(typeof(Primitives.Elementwise.FusedElementwise), "outputs")] = op => new[] { ((Primitives.Elementwise.FusedElementwise)op).Steps.Length - 1 },
    };

    /// <summary>
    /// The instance fields of <paramref name="type"/> and its bases, by readable name (<c>&lt;shape&gt;P</c> is "shape").
    /// Remembered per type: common-subexpression elimination writes every pure op it sees.
    /// </summary>
    static (string Name, FieldInfo Field)[] Fields(Type type) => FieldsOf.GetOrAdd(type, FieldsUncached);

    static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, (string Name, FieldInfo Field)[]> FieldsOf = new();

    static (string Name, FieldInfo Field)[] FieldsUncached(Type type)
    {
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        var fields = new List<(string Name, FieldInfo Field)>();
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            foreach (var f in t.GetFields(flags).OrderBy(f => f.HasMetadataToken() ? f.MetadataToken : 0))   // NB: NativeAOT has no tokens: GetFields' order (a stable sort)
                if (!(t == typeof(Primitive) && f.Name.Contains(nameof(Primitive.SideOutputs), StringComparison.Ordinal)))
                    fields.Add((ReadableName(f.Name), f));
        return [.. fields];
    }

    /// <summary>"shape" for a primary constructor's <c>&lt;shape&gt;P</c>, "K" for <c>&lt;K&gt;k__BackingField</c>.</summary>
    static string ReadableName(string field) =>
        field.StartsWith('<') && field.IndexOf('>') is > 1 and var close ? field[1..close] : field;

    static bool Supported(Type t, int depth)
    {
        if (depth > MaxNesting) return false;
        if (Nullable.GetUnderlyingType(t) is { } inner) return Supported(inner, depth);
        if (t.IsPrimitive) return t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(float) || t == typeof(bool);
        if (t == typeof(string) || t.IsEnum || t == typeof(Shape) || t == typeof(Device)) return true;
        if (t.IsArray) return t.GetArrayRank() == 1 && Supported(t.GetElementType()!, depth + 1);
        return IsSmallRecord(t) && Fields(t).All(f => Supported(f.Field.FieldType, depth + 1));
    }

    /// <summary>A record (class or struct) declared in Nabla that is no primitive and no tensor: its fields are its data.</summary>
    static bool IsSmallRecord(Type t) =>
        t.Assembly == Nabla && !t.IsAbstract && !t.ContainsGenericParameters && !typeof(Primitive).IsAssignableFrom(t) && !typeof(Tensor).IsAssignableFrom(t)
        && !typeof(Delegate).IsAssignableFrom(t) && (t.IsValueType || t.IsSealed)
        && t.GetMethod("PrintMembers", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public) is not null;

    static void WriteValue(Utf8JsonWriter json, Type t, object? value)
    {
        switch (value)
        {
            case null: json.WriteNullValue(); return;
            case int i: json.WriteNumberValue(i); return;
            case long l: json.WriteNumberValue(l); return;
            case bool b: json.WriteBooleanValue(b); return;
            case double d:
                // Finite values as numbers (shortest round-trip text); -0, NaN and infinities by their bits, exactly.
                if (double.IsFinite(d) && !(d == 0 && double.IsNegative(d))) json.WriteNumberValue(d);
                else json.WriteStringValue("0x" + BitConverter.DoubleToInt64Bits(d).ToString("X16", CultureInfo.InvariantCulture));
                return;
            case float f:
                if (float.IsFinite(f) && !(f == 0 && float.IsNegative(f))) json.WriteNumberValue(f);
                else json.WriteStringValue("0x" + BitConverter.SingleToInt32Bits(f).ToString("X8", CultureInfo.InvariantCulture));
                return;
            case string s: json.WriteStringValue(s); return;
            case Enum e: json.WriteStringValue(e.ToString()); return;
            case Shape shape:
                json.WriteStartArray();
                foreach (var d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                return;
            case Device device: json.WriteStringValue(device.ToString()); return;
            case Array array:
                json.WriteStartArray();
                foreach (var item in array) WriteValue(json, t.GetElementType()!, item);
                json.WriteEndArray();
                return;
        }
        json.WriteStartObject();
        foreach (var (name, field) in Fields(value.GetType()))
        {
            json.WritePropertyName(name);
            WriteValue(json, field.FieldType, field.GetValue(value));
        }
        json.WriteEndObject();
    }

    static object? ReadValue(JsonElement e, Type t, int depth, string what, Func<string, Exception> fail)
    {
        if (depth > MaxNesting) throw fail($"{what} nests deeper than {MaxNesting} levels");
        if (e.ValueKind == JsonValueKind.Null)
            return t.IsValueType && Nullable.GetUnderlyingType(t) is null ? throw fail($"{what} is null but must be a {Readable(t)}") : null;
        if (Nullable.GetUnderlyingType(t) is { } inner) return ReadValue(e, inner, depth, what, fail);
        if (t == typeof(int)) return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i) ? i : throw Bad();
        if (t == typeof(long)) return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var l) ? l : throw Bad();
        if (t == typeof(bool)) return e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : throw Bad();
        if (t == typeof(double)) return ReadDouble(e) ?? throw Bad();
        if (t == typeof(float)) return ReadFloat(e) ?? throw Bad();
        if (t == typeof(string))
            return e.ValueKind == JsonValueKind.String && e.GetString() is { Length: <= MaxStringLength } s ? s : throw Bad();
        if (t.IsEnum)
        {
            // By name only: Enum.Parse would also take "7" or "1, 2", values no op was made with.
            var name = e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            return name is not null && Enum.GetNames(t).Contains(name, StringComparer.Ordinal) ? Enum.Parse(t, name) : throw Bad();
        }
        if (t == typeof(Device))
            return e.ValueKind == JsonValueKind.String ? GraphFileValues.DeviceOf(e.GetString()!) ?? throw Bad() : throw Bad();
        if (t == typeof(Shape)) return GraphFileValues.ShapeOf(e, fail, what);
        if (t.IsArray)
        {
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() > MaxArrayLength) throw Bad();
            var elementType = t.GetElementType()!;
            var array = Array.CreateInstanceFromArrayType(t, e.GetArrayLength());   // NB: from the array type, which NativeAOT compiled in
            int k = 0;
            foreach (var item in e.EnumerateArray())
                array.SetValue(ReadValue(item, elementType, depth + 1, $"{what}[{k}]", fail), k++);
            return array;
        }
        if (e.ValueKind != JsonValueKind.Object) throw Bad();
        var record = RuntimeHelpers.GetUninitializedObject(t);   // a struct comes boxed, so its fields can be set
        ReadFields(e, t, record, depth + 1, what, fail);
        return record;

        Exception Bad() => fail($"{what} must be a {Readable(t)}, got {Clip(e.GetRawText())}");
    }

    static double? ReadDouble(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Number) return e.TryGetDouble(out var d) && double.IsFinite(d) ? d : null;
        return e.ValueKind == JsonValueKind.String && e.GetString() is { Length: 18 } s && s.StartsWith("0x", StringComparison.Ordinal)
            && long.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits)
            ? BitConverter.Int64BitsToDouble(bits) : null;
    }

    static float? ReadFloat(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Number) return e.TryGetSingle(out var f) && float.IsFinite(f) ? f : null;
        return e.ValueKind == JsonValueKind.String && e.GetString() is { Length: 10 } s && s.StartsWith("0x", StringComparison.Ordinal)
            && int.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits)
            ? BitConverter.Int32BitsToSingle(bits) : null;
    }

    internal static JsonElement Property(JsonElement e, string name, JsonValueKind kind, Func<string, Exception> fail)
    {
        if (!e.TryGetProperty(name, out var value)) throw fail($"'{name}' is missing");
        if (value.ValueKind != kind) throw fail($"'{name}' must be {kind}, got {value.ValueKind}");
        return value;
    }

    static string Readable(Type t) => t.IsArray ? Readable(t.GetElementType()!) + "[]" : t.Name;

    internal static string Clip(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
