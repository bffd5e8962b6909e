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

    /// <summary>NABLA_THREADS, when it holds a thread count.</summary>
    public static int? FromEnvironment() => CpuParallel.FromEnvironment();
}
