using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// The value of a one-element tensor (of any shape) as <typeparamref name="T"/>: float, double, int,
    /// long or bool. Conversions follow C# casts, checked: a floating value becomes an integer by
    /// truncation toward zero (2.7 gives 2, -1.5 gives -1), bool becomes 1 or 0, any nonzero value (NaN
    /// too) becomes true, and double to float rounds to nearest (values beyond float's range give ±Inf,
    /// as the cast does). A value an integer type cannot hold (NaN, ±Inf, 3e9 as int, an int64 beyond
    /// int's range) throws <see cref="InvalidOperationException"/> naming the value and the type, where
    /// an unchecked C# cast would give an unspecified number (PyTorch's <c>item&lt;int&gt;()</c> refuses
    /// these too). Throws when the tensor has more than one element, or for another
    /// <typeparamref name="T"/>.
    /// </summary>
    /// <example><code>
    /// Tensor.Scalar(2.7).Item&lt;int&gt;();      // 2
    /// Tensor.Scalar(-1.5).Item&lt;long&gt;();    // -1
    /// Tensor.Scalar(3e9).Item&lt;int&gt;();      // throws: 3000000000 does not fit in Int32
    /// </code></example>
    public T Item<T>() where T : unmanaged
    {
        if (NumElements != 1)
            throw Errors.State("Tensor.Item", $"a tensor with {NumElements} elements (shape {Shape}) cannot be converted to a single value; index it or reduce it first.");
        object value = ToHostArray().GetValue(0)!;
        if (value is T same) return same;
        return (T)ItemConversion.Convert(value, typeof(T));
    }

    /// <summary>
    /// A row-major copy of the elements. <typeparamref name="T"/> must match the dtype exactly
    /// (float for Float32, double for Float64, int, long, bool); a mismatch throws
    /// <see cref="InvalidOperationException"/>. Unlike <see cref="Item{T}"/>, ToArray never converts, so no
    /// element can fail a conversion halfway: convert the tensor first with <c>To(DType)</c> (an elementwise
    /// C# cast, truncating floats toward zero; check NaN or out-of-range values before, since the tensor
    /// cast, like PyTorch's, does not).
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
