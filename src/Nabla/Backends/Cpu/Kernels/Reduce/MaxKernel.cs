using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary><see cref="Max"/> (amax / amin) on the CPU: the reduce driver with the max or min op (NaN wins).</summary>
internal static class MaxKernel
{
    public static Tensor Run(Max op, Tensor x) => (x.DType, op.IsMin) switch
    {
        (DType.Float32, false) => ReduceDriver.Run<float, ReduceOps.Max<float>>(x, op.Axes),
        (DType.Float32, true) => ReduceDriver.Run<float, ReduceOps.Min<float>>(x, op.Axes),
        (DType.Float64, false) => ReduceDriver.Run<double, ReduceOps.Max<double>>(x, op.Axes),
        (DType.Float64, true) => ReduceDriver.Run<double, ReduceOps.Min<double>>(x, op.Axes),
        (DType.Int32, false) => ReduceDriver.Run<int, ReduceOps.Max<int>>(x, op.Axes),
        (DType.Int32, true) => ReduceDriver.Run<int, ReduceOps.Min<int>>(x, op.Axes),
        (DType.Int64, false) => ReduceDriver.Run<long, ReduceOps.Max<long>>(x, op.Axes),
        (DType.Int64, true) => ReduceDriver.Run<long, ReduceOps.Min<long>>(x, op.Axes),
        _ => throw new NotSupportedException($"{op.Name}: no kernel for {x.DType.TorchName()}"),
    };

    /// <summary>The same reduction written into <paramref name="y"/> (see <see cref="KernelEntry.Into"/>); false when y does not fit.</summary>
    public static bool RunInto(Max op, Tensor x, Tensor y)
    {
        if (!ReduceOutput.Fits(x, y, op.Axes, keepDim: true)) return false;
        switch (x.DType, op.IsMin)
        {
            case (DType.Float32, false): ReduceDriver.Into<float, ReduceOps.Max<float>>(x, op.Axes, y.Data<float>()); break;
            case (DType.Float32, true): ReduceDriver.Into<float, ReduceOps.Min<float>>(x, op.Axes, y.Data<float>()); break;
            case (DType.Float64, false): ReduceDriver.Into<double, ReduceOps.Max<double>>(x, op.Axes, y.Data<double>()); break;
            case (DType.Float64, true): ReduceDriver.Into<double, ReduceOps.Min<double>>(x, op.Axes, y.Data<double>()); break;
            case (DType.Int32, false): ReduceDriver.Into<int, ReduceOps.Max<int>>(x, op.Axes, y.Data<int>()); break;
            case (DType.Int32, true): ReduceDriver.Into<int, ReduceOps.Min<int>>(x, op.Axes, y.Data<int>()); break;
            case (DType.Int64, false): ReduceDriver.Into<long, ReduceOps.Max<long>>(x, op.Axes, y.Data<long>()); break;
            case (DType.Int64, true): ReduceDriver.Into<long, ReduceOps.Min<long>>(x, op.Axes, y.Data<long>()); break;
            default: return false;
        }
        return true;
    }
}
