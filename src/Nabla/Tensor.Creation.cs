using Nabla.Backends;
using Nabla.Engine;

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
        var s = new Shape(shape);
        if (s.NumElements != data.Length)
            throw Errors.Arg("Tensor.FromArray", $"shape {s} holds {s.NumElements} elements but the array has {data.Length}.");
        var t = new Tensor(new Storage<T>((T[])data.Clone()), s);
        if (requiresGrad) t.RequiresGrad = true;
        return t;
    }

    /// <summary>A tensor of zeros (float32 unless <paramref name="dtype"/> is given).</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false) =>
        WithGrad(Empty(dtype, new Shape(shape), zeroed: true), requiresGrad);

    /// <summary>A float32 tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A tensor of ones (float32 unless <paramref name="dtype"/> is given).</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false) => Full(shape, 1, dtype, requiresGrad);

    /// <summary>A float32 tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Ones(shape, DType.Float32);

    /// <summary>A tensor filled with <paramref name="value"/> (converted to <paramref name="dtype"/> as a C# cast).</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        var t = Empty(dtype, new Shape(shape));
        t.FillRaw(value);
        return WithGrad(t, requiresGrad);
    }

    /// <summary>Zeros with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.Shape.ToArray(), like.DType);

    /// <summary>Ones with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like.Shape.ToArray(), like.DType);

    /// <summary>The n×n identity matrix.</summary>
    public static Tensor Eye(int n, DType dtype = DType.Float32)
    {
        var t = Zeros([n, n], dtype);
        for (int i = 0; i < n; i++) t.SetRaw(i * (n + 1), 1);
        return t;
    }

    /// <summary>
    /// Values from <paramref name="start"/> up to (not including) <paramref name="end"/> by
    /// <paramref name="step"/>, as torch.arange. The dtype is int64 when all arguments are whole
    /// numbers and none is given, else float32.
    /// </summary>
    public static Tensor Arange(double start, double end, double step = 1, DType? dtype = null)
    {
        if (step == 0 || double.IsNaN(step))
            throw Errors.Arg("Tensor.Arange", "step must be nonzero.");
        long count = (long)Math.Ceiling((end - start) / step);
        if (count < 0) count = 0;
        if (count > int.MaxValue) throw Errors.Arg("Tensor.Arange", $"{count} elements is too many.");
        bool whole = start == Math.Floor(start) && step == Math.Floor(step) && end == Math.Floor(end);
        var t = Empty(dtype ?? (whole ? DType.Int64 : DType.Float32), new Shape((int)count));
        for (int i = 0; i < count; i++) t.SetRaw(i, start + i * step);
        return t;
    }

    /// <summary>0, 1, ..., <paramref name="end"/> - 1 (int64 unless <paramref name="dtype"/> is given).</summary>
    public static Tensor Arange(int end, DType? dtype = null) => Arange(0, end, 1, dtype);

    static Tensor WithGrad(Tensor t, bool requiresGrad)
    {
        if (requiresGrad) t.RequiresGrad = true;
        return t;
    }

    /// <summary>Writes one value (C# cast to the dtype) at a storage index. No autodiff, no version bump.</summary>
    internal void SetRaw(int storageIndex, double value)
    {
        using var raw = Backends.RawAccess.Enter();
        switch (Storage.Array)
        {
            case float[] f: f[storageIndex] = (float)value; break;
            case double[] d: d[storageIndex] = value; break;
            case int[] n: n[storageIndex] = (int)value; break;
            case long[] l: l[storageIndex] = (long)value; break;
            case bool[] b: b[storageIndex] = value != 0; break;
        }
    }

    /// <summary>Fills every element of this (possibly strided) view. No autodiff, no version bump.</summary>
    internal void FillRaw(double value)
    {
        using var raw = Backends.RawAccess.Enter();
        if (IsContiguous)
        {
            int n = NumElements;
            switch (Storage.Array)
            {
                case float[] f: f.AsSpan(Offset, n).Fill((float)value); break;
                case double[] d: d.AsSpan(Offset, n).Fill(value); break;
                case int[] i: i.AsSpan(Offset, n).Fill((int)value); break;
                case long[] l: l.AsSpan(Offset, n).Fill((long)value); break;
                case bool[] b: b.AsSpan(Offset, n).Fill(value != 0); break;
            }
            return;
        }
        var loop = new Backends.Cpu.StridedLoop(Shape.Span, [Strides], [Offset]);
        int s = loop.InnerStride(0);
        loop.ForEachRun((offs, n) =>
        {
            for (int i = 0, o = offs[0]; i < n; i++, o += s) SetRaw(o, value);
        });
    }
}
