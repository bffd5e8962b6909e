namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the elementwise primitives.</summary>
internal static class ElementwiseKernels
{
    public static void Register(KernelTable table)
    {
    }
}
