namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the pool primitives.</summary>
internal static class PoolKernels
{
    public static void Register(KernelTable table)
    {
    }
}
