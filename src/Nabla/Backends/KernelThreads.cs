using Nabla.Backends.Cpu;

namespace Nabla.Backends;

/// <summary>The thread count of the backends' parallel kernels (the CPU's today), behind the public <see cref="Threads"/>.</summary>
internal static class KernelThreads
{
    public static int Count
    {
        get => CpuParallel.Threads;
        set => CpuParallel.Threads = value;
    }
}
