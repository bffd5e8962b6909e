using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>Backend tests that change process-wide kernel settings run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class CpuStateCollection
{
    public const string Name = "CpuState";
}

internal static class CpuState
{
    /// <summary>Runs <paramref name="f"/> with <see cref="CpuParallel.Threads"/> set, restoring it after.</summary>
    public static T WithThreads<T>(int threads, Func<T> f)
    {
        int saved = CpuParallel.Threads;
        CpuParallel.Threads = threads;
        try { return f(); }
        finally { CpuParallel.Threads = saved; }
    }
}
