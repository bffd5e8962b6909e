using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the reduce primitives.</summary>
internal static class ReduceKernels
{
    public static void Register(KernelTable table)
    {
        table.Add<Sum>(KernelDTypes.Numeric, (op, x) => SumKernel.Run(op, x[0]), (op, x, y) => SumKernel.RunInto(op, x[0], y));
        table.Add<Max>(KernelDTypes.Numeric, (op, x) => MaxKernel.Run(op, x[0]), (op, x, y) => MaxKernel.RunInto(op, x[0], y));
        table.Add<ArgMax>(KernelDTypes.Numeric, (op, x) => ArgMaxKernel.Run(op, x[0]));
        table.Add<ArgMin>(KernelDTypes.Numeric, (op, x) => ArgMaxKernel.Run(op, x[0]));
        table.Add<SortIndex>(KernelDTypes.Numeric, (op, x) => SortIndexKernel.Run(op, x[0]));
        table.Add<Prod>(KernelDTypes.Numeric, (op, x) => ProdKernel.Run(op, x[0]));
        table.Add<FusedRows>(KernelDTypes.Floating, (op, x) => FusedRowsKernel.Run(op, x));
        table.Add<CumSum>(KernelDTypes.Numeric, (op, x) => ScanKernel.Run(op, x[0]));
        table.Add<CumProd>(KernelDTypes.Numeric, (op, x) => ScanKernel.Run(op, x[0]));
        table.Add<LogCumSumExp>(KernelDTypes.Floating, (op, x) => ScanKernel.Run(op, x[0]));
        table.Add<MedianIndex>(KernelDTypes.Numeric, (op, x) => MedianIndexKernel.Run(op, x[0]));
        table.Add<SizeOf>(KernelDTypes.All, (op, x) =>
        {
            var y = CpuTensor.Empty(DType.Int64, new Shape());
            y.Data<long>()[0] = op.Count(x[0].Shape.Span);
            return y;
        });
    }
}
