namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the movement primitives.</summary>
internal static class MovementKernels
{
    public static void Register(KernelTable table)
    {
    }
}
