using Nabla.Primitives.Pool;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the pool primitives.</summary>
internal static class PoolKernels
{
    public static void Register(KernelTable table)
    {
        table.AddMany<MaxPool2d>(KernelDTypes.Floating, (op, x) => MaxPool2dKernel.Run(op, x[0]), (op, x, y) => MaxPool2dKernel.RunInto(op, x[0], y));
        table.Add<MaxUnpool>(KernelDTypes.Floating, (op, x) => MaxUnpoolKernel.Run(op, x[0], x[1]), (op, x, y) => MaxUnpoolKernel.RunInto(op, x[0], x[1], y));
    }
}
