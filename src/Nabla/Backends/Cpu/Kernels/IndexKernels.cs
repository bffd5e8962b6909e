namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the index primitives.</summary>
internal static class IndexKernels
{
    public static void Register(KernelTable table)
    {
    }
}
