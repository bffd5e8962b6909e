using System.Globalization;
using Nabla.Engine;

namespace Nabla;

/// <summary>
/// The checked C# casts behind <see cref="Tensor.Item{T}"/>: from a host element (float, double, int, long
/// or bool) to float, double, int, long or bool. Integers from floats truncate toward zero; values an
/// integer type cannot hold are errors naming the value and the type, never a wrapped or saturated number.
/// </summary>
internal static class ItemConversion
{
    public static object Convert(object value, Type target)
    {
        if (target == typeof(bool)) return AsDouble(value) != 0;   // NaN != 0: true, as C# and Python's bool(nan)
        if (value is bool b) value = b ? 1L : 0L;
        if (target == typeof(double)) return AsDouble(value);
        if (target == typeof(float)) return value is double dv ? (float)dv : (float)AsDouble(value);
        if (target == typeof(long)) return ToLong(value, target);
        if (target == typeof(int))
        {
            long v = ToLong(value, target);
            if (v < int.MinValue || v > int.MaxValue) throw DoesNotFit(value, target);
            return (int)v;
        }
        throw Errors.State("Tensor.Item", $"cannot convert to {target.Name}; use float, double, int, long or bool.");
    }

    static double AsDouble(object value) => value switch
    {
        float f => f,
        double d => d,
        int i => i,
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new InvalidOperationException($"internal: element type {value.GetType().Name}"),
    };

    static long ToLong(object value, Type target)
    {
        if (value is int i) return i;
        if (value is long l) return l;
        double t = Math.Truncate(AsDouble(value));
        // NB: 2^63 is exactly representable but one past long.MaxValue, so the upper bound is exclusive.
        // NaN fails both comparisons and so lands here too.
        if (!(t >= -9223372036854775808.0 && t < 9223372036854775808.0)) throw DoesNotFit(value, target);
        return (long)t;
    }

    static InvalidOperationException DoesNotFit(object value, Type target) =>
        Errors.State("Tensor.Item", $"the value {Format(value)} does not fit in {target.Name} " +
            $"({(target == typeof(int) ? "Int32: -2147483648..2147483647" : "Int64: -9223372036854775808..9223372036854775807")}); " +
            "read it as double, or check it first (NaN and infinities have no integer value).");

    static string Format(object value) => value switch
    {
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "?",
    };
}
