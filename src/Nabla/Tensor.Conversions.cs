namespace Nabla;

public partial class Tensor
{
    // C# conversions out of a tensor, all explicit as PyTorch's float(t) and int(t): each reads the value back to the host
    // and throws unless the tensor holds exactly one element. No conversion into a tensor is implicit: a float or a
    // bool one makes every call with a float argument ambiguous between the many (Tensor) and (double) overloads
    // (x.AddInPlace(1f), x * 2f), a double one would make float64 0-d tensors that turn float32 results into float64
    // (PyTorch's Python floats don't), and an int one int64 tensors that widen int32 results. Numbers already mix with
    // tensors in every operator and op that takes a scalar; Tensor.Scalar(v) makes a 0-d tensor.

    /// <summary>The value of a one-element tensor as a float (Python's <c>float(t)</c>); see <see cref="Item{T}"/> for the conversion rules.</summary>
    public static explicit operator float(Tensor tensor) => NotNull(tensor).Item<float>();

    /// <summary>The value of a one-element tensor as a double; see <see cref="Item{T}"/>.</summary>
    public static explicit operator double(Tensor tensor) => NotNull(tensor).Item<double>();

    /// <summary>The value of a one-element tensor as an int (Python's <c>int(t)</c>: floats truncate toward zero, a value int can't hold throws); see <see cref="Item{T}"/>.</summary>
    public static explicit operator int(Tensor tensor) => NotNull(tensor).Item<int>();

    /// <summary>The value of a one-element tensor as a long; see <see cref="Item{T}"/>.</summary>
    public static explicit operator long(Tensor tensor) => NotNull(tensor).Item<long>();

    /// <summary>The value of a one-element tensor as a bool (Python's <c>bool(t)</c>: nonzero, NaN included, is true); see <see cref="Item{T}"/>.</summary>
    public static explicit operator bool(Tensor tensor) => NotNull(tensor).Item<bool>();

    static Tensor NotNull(Tensor tensor) => tensor ?? throw new ArgumentNullException(nameof(tensor));
}
