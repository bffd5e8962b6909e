using Nabla.Backends;
using Nabla.Engine;
using Nabla.Primitives.Creation;

namespace Nabla;

public partial class Tensor
{
    /// <summary>A 0-d float32 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(float value, bool requiresGrad = false) => FromArray([value], [], requiresGrad);

    /// <summary>A 0-d float64 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(double value, bool requiresGrad = false) => FromArray([value], [], requiresGrad);

    /// <summary>A 0-d tensor of <paramref name="dtype"/> holding <paramref name="value"/> (converted as a C# cast).</summary>
    public static Tensor Scalar(double value, DType dtype) => Full([], value, dtype);

    /// <summary>A float32 tensor with a copy of <paramref name="data"/> (row-major) in <paramref name="shape"/>.</summary>
    public static Tensor FromArray(float[] data, int[] shape, bool requiresGrad = false) => Create(data, shape, requiresGrad);

    /// <summary>A float64 tensor with a copy of <paramref name="data"/> (row-major) in <paramref name="shape"/>.</summary>
    public static Tensor FromArray(double[] data, int[] shape, bool requiresGrad = false) => Create(data, shape, requiresGrad);

    /// <summary>An int64 tensor with a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(long[] data, int[] shape) => Create(data, shape, false);

    /// <summary>An int32 tensor with a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(int[] data, int[] shape) => Create(data, shape, false);

    /// <summary>A bool tensor with a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(bool[] data, int[] shape) => Create(data, shape, false);

    static Tensor Create<T>(T[] data, int[] shape, bool requiresGrad) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var s = Shape.Of("Tensor.FromArray", shape);
        if (s.NumElements != data.Length)
            throw Errors.Arg("Tensor.FromArray", $"shape {s} holds {s.NumElements} elements but the array has {data.Length}.");
        return WithGrad(Dispatch.FromHost<T>(data, s, Device.Cpu), requiresGrad);
    }

    /// <summary>A tensor of zeros (float32 unless <paramref name="dtype"/> is given) on <paramref name="device"/> (default CPU).</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false, Device? device = null) =>
        FillNew("Tensor.Zeros", shape, 0, dtype, requiresGrad, device);

    /// <summary>A float32 tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A tensor of ones (float32 unless <paramref name="dtype"/> is given) on <paramref name="device"/> (default CPU).</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false, Device? device = null) =>
        FillNew("Tensor.Ones", shape, 1, dtype, requiresGrad, device);

    /// <summary>A float32 tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Ones(shape, DType.Float32);

    /// <summary>
    /// A tensor filled with <paramref name="value"/> (converted to <paramref name="dtype"/> as a C# cast) on
    /// <paramref name="device"/> (default CPU). A shape with more than <see cref="Shape.MaxElements"/> elements or
    /// <see cref="Shape.MaxRank"/> dims is an <see cref="ArgumentException"/>; memory the runtime cannot give is an
    /// <see cref="OutOfMemoryException"/> naming the shape and the bytes asked for.
    /// </summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, bool requiresGrad = false, Device? device = null) =>
        FillNew("Tensor.Full", shape, value, dtype, requiresGrad, device);

    static Tensor FillNew(string op, int[] shape, double value, DType dtype, bool requiresGrad, Device? device)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var s = StorageShape(op, shape, dtype);
        return WithGrad(CreateNew(op, s, new Full(s.ToArray(), dtype, value), device), requiresGrad);
    }

    /// <summary>
    /// The checked shape of a new tensor of <paramref name="dtype"/> made by <paramref name="op"/>: it must
    /// be a valid shape and fit in one storage, so a size past the limit is refused before any memory is asked for.
    /// </summary>
    static Shape StorageShape(string op, int[] dims, DType dtype)
    {
        Errors.CheckDType(op, dtype);
        var s = Shape.Of(op, dims);
        if (s.NumElements > Storage.MaxLength)
            throw Errors.Arg(op, $"shape {s} needs {Storage.Size(dtype, s.NumElements)}, more than the {Storage.MaxLength} " +
                "elements one storage can hold (the largest .NET array). Use smaller tensors.");
        return s;
    }

    /// <summary>Runs creation op <paramref name="p"/> for the public op <paramref name="op"/>; out of memory names the op and the shape.</summary>
    static Tensor CreateNew(string op, Shape shape, CreationPrimitive p, Device? device)
    {
        try
        {
            return Dispatch.Create(p, device ?? Device.Cpu);
        }
        catch (StorageOutOfMemoryException e)
        {
            throw new OutOfMemoryException($"{op}: not enough memory for a tensor of shape {shape}: " +
                $"{Storage.Size(p.DType, shape.NumElements)}. Use smaller tensors (a smaller batch), or free references to " +
                $"large ones (called from {CallSite.Describe()})", e);
        }
    }

    /// <summary>Zeros with the shape, dtype and device of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.Shape.ToArray(), like.DType, device: like.Device);

    /// <summary>Ones with the shape, dtype and device of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like.Shape.ToArray(), like.DType, device: like.Device);

    /// <summary>The n×n identity matrix on <paramref name="device"/> (default CPU).</summary>
    public static Tensor Eye(int n, DType dtype = DType.Float32, Device? device = null)
    {
        if (n < 0) throw Errors.Arg("Tensor.Eye", $"n must be non-negative, got {n}.");
        StorageShape("Tensor.Eye", [n, n], dtype);
        var i = Arange(n, device: device);
        return i.Unsqueeze(1).Eq(i).To(dtype);
    }

    /// <summary>
    /// Values from <paramref name="start"/> up to (not including) <paramref name="end"/> by
    /// <paramref name="step"/>, as torch.arange. The dtype is int64 when all arguments are whole
    /// numbers and none is given, else float32. More than <see cref="Shape.MaxElements"/> values is an
    /// <see cref="ArgumentException"/>, refused before any memory is asked for.
    /// </summary>
    public static Tensor Arange(double start, double end, double step = 1, DType? dtype = null, Device? device = null)
    {
        const string op = "Tensor.Arange";
        // As torch.arange: NaN or infinite bounds, a zero or non-finite step, and a step pointing away from
        // the end are errors (an empty result would hide the mistake); start == end gives an empty tensor.
        if (!double.IsFinite(start) || !double.IsFinite(end))
            throw Errors.Arg(op, $"unsupported range {start} -> {end}: start and end must be finite numbers.");
        if (step == 0 || !double.IsFinite(step))
            throw Errors.Arg(op, $"step must be a nonzero finite number, got {step}.");
        if ((step > 0 && end < start) || (step < 0 && end > start))
            throw Errors.Arg(op, $"the range {start} -> {end} goes the other way than the step {step}; " +
                "swap start and end, or change the step's sign.");
        bool whole = start == Math.Floor(start) && step == Math.Floor(step) && end == Math.Floor(end);
        var type = dtype ?? (whole ? DType.Int64 : DType.Float32);
        if (type == DType.Bool) throw Errors.Arg(op, "dtype Bool is not supported; use a numeric dtype.");
        // NB: counted in double, so a range of 2^40 values is refused here instead of wrapping in a cast.
        double steps = Math.Ceiling((end - start) / step);
        if (steps > Shape.MaxElements)
            throw Errors.Arg(op, $"the range [{start}, {end}) with step {step} has {steps:R} values, more than the {Shape.MaxElements} " +
                "(2^31 - 1) elements a tensor can hold. Use a larger step or a shorter range.");
        int count = steps > 0 ? (int)steps : 0;
        var s = StorageShape(op, [count], type);
        return CreateNew(op, s, new Primitives.Creation.Arange(start, step, count, type), device);
    }

    /// <summary>0, 1, ..., <paramref name="end"/> - 1 (int64 unless <paramref name="dtype"/> is given).</summary>
    public static Tensor Arange(int end, DType? dtype = null, Device? device = null) => Arange(0, end, 1, dtype, device);

    static Tensor WithGrad(Tensor t, bool requiresGrad)
    {
        if (requiresGrad) t.RequiresGrad = true;
        return t;
    }

    /// <summary>A tensor of zeros with a single 1 at row-major position <paramref name="flatIndex"/> (Jacobian seeds).</summary>
    internal static Tensor OneHot(int[] shape, DType dtype, int flatIndex, Device device)
    {
        var values = new double[new Shape(shape).NumElements];
        values[flatIndex] = 1;
        return Dispatch.FromHost<double>(values, new Shape(shape), device).To(dtype);
    }
}
