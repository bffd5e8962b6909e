using Nabla.Backends;
using Nabla.Engine;

namespace Nabla;

/// <summary>
/// How many threads Nabla's CPU kernels use (torch.set_num_threads / tf.config.threading): elementwise ops, reductions,
/// matrix products and convolutions, fused kernels of compiled functions. Each splits its work into pieces fixed by the
/// work's size, never by the thread count, so results are the same bits on any number of threads; the count only
/// changes speed. The default is the machine's processor count; 1 runs every kernel on the calling thread.
/// </summary>
public static class Threads
{
    /// <summary>The number of threads, 1 or more (the default is <see cref="Environment.ProcessorCount"/>). Takes effect from the next op.</summary>
    public static int Count
    {
        get => KernelThreads.Count;
        set
        {
            if (value < 1 || value > 1024)
                throw Errors.Arg("Threads.Count", $"{value} is not a thread count; give 1 to 1024 (this machine has {Environment.ProcessorCount} processors).");
            KernelThreads.Count = value;
        }
    }
}
