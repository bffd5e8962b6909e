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

    static Tensor Reduce(Tensor x, int[] axes) => x.DType switch
    {
        DType.Float32 => ReduceDriver.Run<float, ReduceOps.Sum<float>>(x, axes),
        DType.Float64 => ReduceDriver.Run<double, ReduceOps.Sum<double>>(x, axes),
        DType.Int32 => ReduceDriver.Run<int, ReduceOps.Sum<int>>(x, axes),
        DType.Int64 => ReduceDriver.Run<long, ReduceOps.Sum<long>>(x, axes),
        _ => throw new NotSupportedException($"sum: no kernel for {x.DType.TorchName()}"),
    };
}
