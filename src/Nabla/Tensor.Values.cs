using Nabla.Backends.Cpu;
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
        using var raw = Backends.RawAccess.Enter();
        if (NumElements != 1)
            throw Errors.State("Tensor.Item", $"a tensor with {NumElements} elements (shape {Shape}) cannot be converted to a single value; index it or reduce it first.");
        var index = Offset;
        object value = Storage.Array.GetValue(index)!;
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
        if (result.Length > 0) CopyKernel.CopyInto(this, result, 0);
        return result;
    }

    /// <summary>Elements as doubles, row-major (bools as 0/1), whatever the dtype.</summary>
    internal double[] ToDoubleArray() => Backends.Reference.RefArray.From(this).Data;
}
