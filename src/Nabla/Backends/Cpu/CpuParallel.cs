namespace Nabla.Backends.Cpu;

/// <summary>
/// Splits elementwise work across cores above a size threshold. Chunks are fixed by the work size,
/// never by the thread count, and each element is written by exactly one chunk, so results do not
/// depend on how many threads run. The chunks go to the persistent <see cref="CpuWorkers"/> team: a
/// thread-pool hand-off (Parallel.For) costs tens of microseconds, as much as a whole op on 64K floats.
/// </summary>
internal static class CpuParallel
{
    /// <summary>Below this many elements one thread does the work (thread hand-off costs more).</summary>
    public const int Threshold = 1 << 15;

    /// <summary>Thread count used for parallel kernels (NABLA_THREADS when set to 1-1024, else the processor count).</summary>
    public static int Threads { get; set; } = FromEnvironment() ?? Environment.ProcessorCount;

    /// <summary>NABLA_THREADS (as OMP_NUM_THREADS for PyTorch), when it holds a thread count.</summary>
    public static int? FromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("NABLA_THREADS"), out var n) && n is >= 1 and <= 1024 ? n : null;

    /// <summary>Runs body(start, count) over [0, n) in contiguous chunks.</summary>
    public static void ForRange(int n, Action<int, int> body)
    {
        if (n < Threshold || Threads <= 1)
        {
            if (n > 0) body(0, n);
            return;
        }
        Split(n, body);
    }

    // Apart so a small range allocates nothing: the lambda's captures are allocated on entry to the method holding it.
    static void Split(int n, Action<int, int> body)
    {
        int chunks = Math.Min(Threads, (n + Threshold - 1) / Threshold);
        int size = (n + chunks - 1) / chunks;
        CpuWorkers.For(chunks, Threads - 1, c =>
        {
            int start = c * size;
            int count = Math.Min(size, n - start);
            if (count > 0) body(start, count);
        });
    }

    /// <summary>Runs a strided loop's runs, split across cores when the total is large.</summary>
    public static void ForRuns(StridedLoop loop, StridedLoop.RunBody body)
    {
        long runs = loop.RunCount;
        long total = runs * loop.RunLength;
        if (total < Threshold || Threads <= 1 || runs < 2)
        {
            if (runs == 1 && total >= Threshold && Threads > 1)
            {
                SplitSingleRun(loop, body);
                return;
            }
            loop.ForEachRun(body);
            return;
        }
        int chunks = (int)Math.Min(Threads, runs);
        long size = (runs + chunks - 1) / chunks;
        CpuWorkers.For(chunks, Threads - 1, c =>
        {
            long first = c * size;
            long count = Math.Min(size, runs - first);
            if (count > 0) loop.ForEachRun(first, count, body);
        });
    }

    // One long run: cut it into pieces, shifting each operand by its inner stride.
    static void SplitSingleRun(StridedLoop loop, StridedLoop.RunBody body)
    {
        int n = loop.RunLength;
        int ops = loop.Offsets.Length;
        ForRange(n, (start, count) =>
        {
            Span<int> offs = stackalloc int[ops];
            for (int k = 0; k < ops; k++) offs[k] = loop.Offsets[k] + start * loop.InnerStride(k);
            body(offs, count);
        });
    }
}
