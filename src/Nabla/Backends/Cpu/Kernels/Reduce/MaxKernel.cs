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
}
