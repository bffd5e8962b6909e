namespace Nabla;

/// <summary>The element type of a <see cref="Tensor"/>.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (<c>float</c>); the default for floating tensors.</summary>
    Float32,
    /// <summary>64-bit IEEE float (<c>double</c>).</summary>
    Float64,
    /// <summary>32-bit signed integer (<c>int</c>).</summary>
    Int32,
    /// <summary>64-bit signed integer (<c>long</c>); the default for integer tensors.</summary>
    Int64,
    /// <summary>Boolean (<c>bool</c>), produced by comparisons.</summary>
    Bool,
}

/// <summary>Facts about <see cref="DType"/> values and PyTorch-style type promotion.</summary>
public static class DTypes
{
    /// <summary>True for <see cref="DType.Float32"/> and <see cref="DType.Float64"/>.</summary>
    public static bool IsFloating(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>True for <see cref="DType.Int32"/> and <see cref="DType.Int64"/>.</summary>
    public static bool IsInteger(this DType dtype) => dtype is DType.Int32 or DType.Int64;

    /// <summary>Size in bytes of one element.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        DType.Float64 => 8,
        DType.Int32 => 4,
        DType.Int64 => 8,
        DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>The PyTorch name of the dtype, e.g. <c>float32</c>.</summary>
    public static string TorchName(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.Bool => "bool",
        _ => dtype.ToString(),
    };

    // Promotion order as in PyTorch's category lattice: bool < integers < floats, wider wins.
    static int Rank(DType d) => d switch
    {
        DType.Bool => 0,
        DType.Int32 => 1,
        DType.Int64 => 2,
        DType.Float32 => 3,
        DType.Float64 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(d)),
    };

    /// <summary>
    /// The result type of a binary op between two tensors, as <c>torch.result_type</c>:
    /// int + float gives float, float32 + float64 gives float64, int32 + int64 gives int64.
    /// </summary>
    public static DType Promote(DType a, DType b) => Rank(a) >= Rank(b) ? a : b;

    /// <summary>
    /// The result type of a binary op between a tensor and a C# number: the number does not widen
    /// the tensor's type within its category (float32 * 2.5 stays float32), but a floating number
    /// makes an integer or bool tensor float32 (the default float type), as in PyTorch.
    /// </summary>
    public static DType PromoteWithScalar(DType tensor, bool scalarIsFloating)
    {
        if (scalarIsFloating && !tensor.IsFloating()) return DType.Float32;
        if (!scalarIsFloating && tensor == DType.Bool) return DType.Int64;
        return tensor;
    }

    internal static DType Of<T>()
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        throw new NotSupportedException($"Nabla has no dtype for the C# type {typeof(T).Name}; use float, double, int, long or bool.");
    }
}
