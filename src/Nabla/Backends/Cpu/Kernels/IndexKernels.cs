using Nabla.Primitives.Index;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernels of the index primitives. Both are chosen by the data's dtype (input 0; the index, input 1,
/// is int64 or int32 whatever the data).
/// </summary>
internal static class IndexKernels
{
    public static void Register(KernelTable table)
    {
        table.Add<Gather>(KernelDTypes.All, GatherKernel.Run, GatherKernel.RunInto);
        table.Add<ScatterAdd>(KernelDTypes.Numeric, ScatterAddKernel.Run, ScatterAddKernel.RunInto);
        table.Add<Scatter>(KernelDTypes.All, ScatterKernels.RunScatter);
        table.Add<ScatterReduce>(KernelDTypes.Numeric, ScatterKernels.RunReduce);
    }
}
