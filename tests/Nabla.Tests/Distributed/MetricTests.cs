using Nabla.Distributed;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Distributed;

/// <summary>
/// ProcessGroup's metric reductions against hand-worked values: rank r passes [r + 1, 2r, 0.25], a mean of r + 1 over
/// r + 1 samples, and r correct of 2r + 1 seen.
/// </summary>
public class MetricTests
{
    [MpiFact]
    public void MetricsOverTwoAndThreeRanks()
    {
        foreach (int n in new[] { 2, 3 })
        {
            var run = Mpi.Run(n, "metrics");
            Assert.True(run.ExitCode == 0, run.Output);
            var ranks = Enumerable.Range(0, n).ToArray();
            double[] sum = [ranks.Sum(r => r + 1.0), ranks.Sum(r => 2.0 * r), 0.25 * n];
            for (int r = 0; r < n; r++)
            {
                Assert.Equal(sum, run.Values(r, "sum"));
                Assert.Equal(sum.Select(s => s / n), run.Values(r, "average"));
                Assert.Equal([n, 2.0 * (n - 1), 0.25], run.Values(r, "max"));
                // Σ(r + 1)² / Σ(r + 1): 5/3 on 2 ranks, 14/6 on 3.
                Assert.Equal([ranks.Sum(q => (q + 1.0) * (q + 1)) / ranks.Sum(q => q + 1.0)], run.Values(r, "mean"));
                Assert.Equal([(n + 1) / 2.0], run.Values(r, "plain-mean"));
                // Σr / Σ(2r + 1) = (n(n-1)/2) / n²: 1/4 on 2 ranks, 3/9 on 3.
                Assert.Equal([(double)ranks.Sum() / ranks.Sum(q => 2 * q + 1)], run.Values(r, "accuracy"));
                Assert.Equal([double.NaN], run.Values(r, "accuracy-none"));
            }
        }
    }

    [Fact]
    public void InAOneRankGroupMetricsAreTheRanksOwn()
    {
        var world = ProcessGroup.SingleForTests();
        Assert.Equal([1.5, -2, 0.25], world.AllReduce([1.5, -2, 0.25]));
        Assert.Equal([1.5, -2, 0.25], world.AllReduce([1.5, -2, 0.25], ReduceOp.Average));
        Assert.Equal(0.75, world.Mean(0.75, count: 32));
        Assert.Equal(0.75, world.Mean(0.75));
        Assert.True(double.IsNaN(world.Mean(0.75, count: 0)));
        Assert.Equal(0.3, world.Accuracy(3, 10));
        Assert.True(double.IsNaN(world.Accuracy(0, 0)));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => world.Accuracy(11, 10));
        Assert.Contains("ProcessGroup.Accuracy: rank 0 passed correct = 11, seen = 10; expected 0 <= correct <= seen", e.Message);
        Assert.Contains("MetricTests.cs:", e.Message);
    }
}
