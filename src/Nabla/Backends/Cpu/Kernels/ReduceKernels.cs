namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the reduce primitives.</summary>
internal static class ReduceKernels
{
    public static void Register(KernelTable table)
    {
    }
}
