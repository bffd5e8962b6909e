using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary><see cref="Sum"/> on the CPU: the reduce driver with the sum op, then a view that drops the summed axes unless kept.</summary>
internal static class SumKernel
{
    public static Tensor Run(Sum op, Tensor x)
    {
        var kept = Reduce(x, op.Axes);
        if (op.KeepDim) return kept;
        var shape = op.OutputShape();
        return kept.View(new Shape(shape), Shape.ContiguousStrides(shape), kept.Offset);
    }

    /// <summary>The same sum written into <paramref name="y"/> (see <see cref="KernelEntry.Into"/>); false when y does not fit.</summary>
    public static bool RunInto(Sum op, Tensor x, Tensor y)
    {
        if (!ReduceOutput.Fits(x, y, op.Axes, op.KeepDim)) return false;
        switch (x.DType)
        {
            case DType.Float32: ReduceDriver.Into<float, ReduceOps.Sum<float>>(x, op.Axes, y.Data<float>()); break;
            case DType.Float64: ReduceDriver.Into<double, ReduceOps.Sum<double>>(x, op.Axes, y.Data<double>()); break;
            case DType.Int32: ReduceDriver.Into<int, ReduceOps.Sum<int>>(x, op.Axes, y.Data<int>()); break;
            case DType.Int64: ReduceDriver.Into<long, ReduceOps.Sum<long>>(x, op.Axes, y.Data<long>()); break;
            default: return false;
        }
        return true;
    }

    static Tensor Reduce(Tensor x, int[] axes) => x.DType switch
    {
        DType.Float32 => ReduceDriver.Run<float, ReduceOps.Sum<float>>(x, axes),
        DType.Float64 => ReduceDriver.Run<double, ReduceOps.Sum<double>>(x, axes),
        DType.Int32 => ReduceDriver.Run<int, ReduceOps.Sum<int>>(x, axes),
        DType.Int64 => ReduceDriver.Run<long, ReduceOps.Sum<long>>(x, axes),
        _ => throw new NotSupportedException($"sum: no kernel for {x.DType.TorchName()}"),
    };
}
