namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// The CPU backend's kernel table: every primitive the CPU runs, by dtype. Each group of ops registers
/// its kernels in its own file; adding an op's CPU kernel is one line in that group's Register.
/// </summary>
internal static class CpuKernels
{
    public static KernelTable Build()
    {
        var table = new KernelTable();
        ElementwiseKernels.Register(table);
        MovementKernels.Register(table);
        ReduceKernels.Register(table);
        IndexKernels.Register(table);
        LinalgKernels.Register(table);
        PoolKernels.Register(table);
        RandomKernels.Register(table);
        WriteKernels.Register(table);
        AdamKernel.Register(table);
        CreationKernels.Register(table);
        return table;
    }
}
