using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// The value of a one-element tensor as <typeparamref name="T"/> (float, double, int, long or
    /// bool; numeric types convert as C# casts). Throws when the tensor has more than one element.
    /// </summary>
    public T Item<T>() where T : unmanaged
    {
        if (NumElements != 1)
            throw Errors.State("Tensor.Item", $"a tensor with {NumElements} elements (shape {Shape}) cannot be converted to a single value; index it or reduce it first.");
        object value = ToHostArray().GetValue(0)!;
        if (value is T same) return same;
        if (typeof(T) == typeof(bool)) return (T)(object)(Convert.ToDouble(value) != 0);
        if (value is bool b) value = b ? 1 : 0;
        return (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A row-major copy of the elements. <typeparamref name="T"/> must match the dtype
    /// (float for Float32, double for Float64, int, long, bool); use <c>To(DType)</c> to convert first.
    /// </summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (DTypes.Of<T>() != DType)
            throw Errors.State("Tensor.ToArray", $"asked for {typeof(T).Name}[] but the tensor is {DType.TorchName()}; call To(DType.{DTypes.Of<T>()}) first.");
        var result = new T[NumElements];
        if (result.Length > 0) Dispatch.ToHost(this, result);
        return result;
    }

    /// <summary>A row-major host copy of the elements, as an array of the dtype's element type.</summary>
    internal Array ToHostArray() => DType switch
    {
        DType.Float32 => ToArray<float>(),
        DType.Float64 => ToArray<double>(),
        DType.Int32 => ToArray<int>(),
        DType.Int64 => ToArray<long>(),
        DType.Bool => ToArray<bool>(),
        _ => throw new InvalidOperationException($"internal: dtype {DType}"),
    };

    /// <summary>Elements as doubles, row-major (bools as 0/1), whatever the dtype.</summary>
    internal double[] ToDoubleArray() => DType switch
    {
        DType.Float32 => Array.ConvertAll(ToArray<float>(), v => (double)v),
        DType.Float64 => ToArray<double>(),
        DType.Int32 => Array.ConvertAll(ToArray<int>(), v => (double)v),
        DType.Int64 => Array.ConvertAll(ToArray<long>(), v => (double)v),
        DType.Bool => Array.ConvertAll(ToArray<bool>(), v => v ? 1.0 : 0.0),
        _ => throw new InvalidOperationException($"internal: dtype {DType}"),
    };
}
