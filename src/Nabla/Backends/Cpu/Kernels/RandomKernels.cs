namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the random primitives.</summary>
internal static class RandomKernels
{
    public static void Register(KernelTable table)
    {
    }
}
