using System.Diagnostics;
using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>
/// An idle worker first spins, then polls between yields, then blocks (<see cref="CpuWorkers.SpinMicroseconds"/>,
/// <see cref="CpuWorkers.YieldMicroseconds"/>). Work posted in any of those phases, or with any phase switched off,
/// must be done exactly once and the caller must return (a lost wake-up would hang it).
/// </summary>
[Collection(CpuStateCollection.Name)]
public class CpuWorkersIdleTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(50, 0)]
    [InlineData(0, 2000)]
    [InlineData(50, 2000)]
    public void WorkPostedInEveryIdlePhaseRunsOnce(int spin, int yield)
    {
        var (savedSpin, savedYield) = (CpuWorkers.SpinMicroseconds, CpuWorkers.YieldMicroseconds);
        CpuWorkers.SpinMicroseconds = spin;
        CpuWorkers.YieldMicroseconds = yield;
        try
        {
            // Pauses before each call land in the spin phase (none), the yield phase (0.2 ms) and after it (4 ms).
            foreach (double pauseMs in new[] { 0, 0.2, 4 })
            {
                var hits = new int[257];
                for (int round = 0; round < 8; round++)
                {
                    var clock = Stopwatch.StartNew();
                    if (pauseMs >= 1) Thread.Sleep((int)pauseMs);
                    else while (clock.Elapsed.TotalMilliseconds < pauseMs) { }
                    CpuWorkers.For(hits.Length, 2, i => Interlocked.Increment(ref hits[i]));
                }
                Assert.All(hits, h => Assert.Equal(8, h));
            }
        }
        finally
        {
            (CpuWorkers.SpinMicroseconds, CpuWorkers.YieldMicroseconds) = (savedSpin, savedYield);
        }
    }
}
