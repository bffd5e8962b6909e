using Nabla.Engine;
using Nabla.Primitives;
using Nabla.Primitives.Elementwise;

namespace Nabla;

public partial class Tensor
{
    /// <summary>Elementwise sum with NumPy broadcasting and PyTorch type promotion.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Binary(new Add(), a, b);
    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Binary(new Sub(), a, b);
    /// <summary>Elementwise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Binary(new Mul(), a, b);
    /// <summary>Elementwise true division with broadcasting (integers are promoted to float32, as in PyTorch).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Binary(new Div(), a, b, floatOnly: true);
    /// <summary>Elementwise negation.</summary>
    public static Tensor operator -(Tensor x) => x.Neg();

    /// <summary>Adds a C# number; the number does not widen the tensor's dtype (float32 stays float32).</summary>
    public static Tensor operator +(Tensor a, double b) => a + a.ScalarOperand(b, true);
    /// <inheritdoc cref="op_Addition(Tensor, double)"/>
    public static Tensor operator +(double a, Tensor b) => b.ScalarOperand(a, true) + b;
    /// <inheritdoc cref="op_Addition(Tensor, double)"/>
    public static Tensor operator +(Tensor a, long b) => a + a.ScalarOperand(b, false);
    /// <inheritdoc cref="op_Addition(Tensor, double)"/>
    public static Tensor operator +(long a, Tensor b) => b.ScalarOperand(a, false) + b;
    /// <summary>Subtracts a C# number.</summary>
    public static Tensor operator -(Tensor a, double b) => a - a.ScalarOperand(b, true);
    /// <inheritdoc cref="op_Subtraction(Tensor, double)"/>
    public static Tensor operator -(double a, Tensor b) => b.ScalarOperand(a, true) - b;
    /// <inheritdoc cref="op_Subtraction(Tensor, double)"/>
    public static Tensor operator -(Tensor a, long b) => a - a.ScalarOperand(b, false);
    /// <inheritdoc cref="op_Subtraction(Tensor, double)"/>
    public static Tensor operator -(long a, Tensor b) => b.ScalarOperand(a, false) - b;
    /// <summary>Multiplies by a C# number.</summary>
    public static Tensor operator *(Tensor a, double b) => a * a.ScalarOperand(b, true);
    /// <inheritdoc cref="op_Multiply(Tensor, double)"/>
    public static Tensor operator *(double a, Tensor b) => b.ScalarOperand(a, true) * b;
    /// <inheritdoc cref="op_Multiply(Tensor, double)"/>
    public static Tensor operator *(Tensor a, long b) => a * a.ScalarOperand(b, false);
    /// <inheritdoc cref="op_Multiply(Tensor, double)"/>
    public static Tensor operator *(long a, Tensor b) => b.ScalarOperand(a, false) * b;
    /// <summary>Divides by a C# number.</summary>
    public static Tensor operator /(Tensor a, double b) => a / a.ScalarOperand(b, true);
    /// <inheritdoc cref="op_Division(Tensor, double)"/>
    public static Tensor operator /(double a, Tensor b) => b.ScalarOperand(a, true) / b;
    /// <inheritdoc cref="op_Division(Tensor, double)"/>
    public static Tensor operator /(Tensor a, long b) => a / a.ScalarOperand(b, false);
    /// <inheritdoc cref="op_Division(Tensor, double)"/>
    public static Tensor operator /(long a, Tensor b) => b.ScalarOperand(a, false) / b;

    /// <summary>A 0-d constant for a C# number used with this tensor, in the promoted dtype.</summary>
    internal Tensor ScalarOperand(double value, bool isFloating) =>
        Dispatch.Create(new Primitives.Creation.Full([], DTypes.PromoteWithScalar(DType, isFloating), value), Device);

    /// <summary>
    /// Puts two operands on one device. As in PyTorch, a 0-d CPU tensor (a constant) may join a tensor on
    /// another device and is moved there; any other mix is an error naming the op and both devices.
    /// </summary>
    internal static (Tensor A, Tensor B) OnOneDevice(Primitives.Primitive op, Tensor a, Tensor b)
    {
        if (ReferenceEquals(a.Storage.Backend, b.Storage.Backend)) return (a, b);
        var device = DeviceOf(op.Name, a, b);
        return (a.To(device), b.To(device));
    }

    /// <summary>
    /// The device operands share, where a 0-d CPU tensor (a constant) counts as on any device; throws
    /// naming the op and the devices when two others differ.
    /// </summary>
    internal static Device DeviceOf(string op, params Tensor[] operands)
    {
        Device? device = null;
        foreach (var t in operands)
        {
            if (t.Rank == 0 && t.Device.Equals(Device.Cpu)) continue;
            if (device is null) device = t.Device;
            else if (!device.Equals(t.Device))
                throw Errors.Arg(op, $"tensors are on different devices ({string.Join(", ", operands.Select(x => x.Device))}); move them to one device with To(Device).");
        }
        return device ?? Device.Cpu;
    }
    /// <summary>
    /// The front end of every binary elementwise primitive: checks devices, promotes dtypes (Cast),
    /// broadcasts shapes (Expand views), then dispatches.
    /// </summary>
    internal static Tensor Binary(ElementwiseBinary op, Tensor a, Tensor b, bool floatOnly = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        (a, b) = OnOneDevice(op, a, b);
        var dtype = DTypes.Promote(a.DType, b.DType);
        if (dtype == DType.Bool && !op.SupportsIntegers) dtype = DType.Float32;
        if ((floatOnly || !op.SupportsIntegers) && !dtype.IsFloating()) dtype = DType.Float32;
        if (dtype == DType.Bool) dtype = DType.Int64;
        var shape = BroadcastShapes(op.Name, a.Shape, b.Shape);
        return Dispatch.Call(op, a.To(dtype).BroadcastTo(shape), b.To(dtype).BroadcastTo(shape));
    }

    /// <summary>Applies a unary elementwise primitive, promoting integers to float32 when it needs floats.</summary>
    internal Tensor Unary(ElementwiseUnary op)
    {
        var x = this;
        if (!DType.IsFloating() && (!op.SupportsIntegers || DType == DType.Bool)) x = x.To(DType.Float32);
        return Dispatch.Call(op, x);
    }

    /// <summary>NumPy broadcasting: align from the right; sizes must match or one of them be 1.</summary>
    internal static int[] BroadcastShapes(string op, Shape a, Shape b)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Rank ? 1 : a[i - (rank - a.Rank)];
            int db = i < rank - b.Rank ? 1 : b[i - (rank - b.Rank)];
            if (da != db && da != 1 && db != 1)
                throw Errors.Arg(op,
                    $"shapes {a} and {b} cannot be broadcast together: dimension {i} (aligned from the right) is {da} vs {db}. " +
                    "Sizes must be equal or one of them 1; reshape or unsqueeze one operand.");
            result[i] = da == 1 ? db : da;
        }
        Shape.CheckedCount(op, result);   // [65536, 1] + [1, 65536] would index past int
        return result;
    }
}
