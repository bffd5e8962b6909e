using Nabla.Backends;
using Nabla.Engine;

namespace Nabla;

/// <summary>
/// How many threads Nabla's CPU kernels use (torch.set_num_threads / tf.config.threading): elementwise ops, reductions,
/// matrix products and convolutions, fused kernels of compiled functions. Each splits its work into pieces fixed by the
/// work's size, never by the thread count, so results are the same bits on any number of threads; the count only
/// changes speed. The default is NABLA_THREADS when set (as OMP_NUM_THREADS for PyTorch), else the machine's processor
/// count; under mpirun, <see cref="Distributed.ProcessGroup.Init"/> divides that default among the ranks on one machine
/// (as torchrun sets OMP_NUM_THREADS). 1 runs every kernel on the calling thread.
/// </summary>
public static class Threads
{
    /// <summary>The number of threads, 1 or more (see the class for the default). Takes effect from the next op.</summary>
    public static int Count
    {
        get => KernelThreads.Count;
        set
        {
            if (value < 1 || value > 1024)
                throw Errors.Arg("Threads.Count", $"{value} is not a thread count; give 1 to 1024 (this machine has {Environment.ProcessorCount} processors).");
            KernelThreads.Count = value;
            Chosen = true;
        }
    }

    /// <summary>Whether the count was chosen (set here or by NABLA_THREADS) rather than left at the default.</summary>
    internal static bool Chosen { get; private set; } = KernelThreads.FromEnvironment() is not null;
}
