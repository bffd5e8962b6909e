namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the linalg primitives.</summary>
internal static class LinalgKernels
{
    public static void Register(KernelTable table)
    {
    }
}
