using System.Globalization;
using Nabla.Distributed;

namespace Nabla.DistributedWorker;

/// <summary>Metrics reduced across ranks (ProcessGroup.Metrics.cs), on rank-dependent numbers the test works out by hand.</summary>
internal static class MetricScenarios
{
    public static readonly (string, Func<string[], int>)[] List =
    [
        ("metrics", Metrics),
    ];

    static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    // Rank r: values [r + 1, 2r, 0.25], a mean of r + 1 over r + 1 samples, r correct of 2r + 1 seen.
    static int Metrics(string[] args)
    {
        using var world = ProcessGroup.Init(new ProcessGroupOptions { Timeout = TimeSpan.FromSeconds(60) });
        int r = world.Rank;
        double[] values = [r + 1, 2 * r, 0.25];
        Console.WriteLine($"rank {r}: sum [3] {string.Join(" ", world.AllReduce(values).Select(R))}");
        Console.WriteLine($"rank {r}: average [3] {string.Join(" ", world.AllReduce(values, ReduceOp.Average).Select(R))}");
        Console.WriteLine($"rank {r}: max [3] {string.Join(" ", world.AllReduce(values, ReduceOp.Max).Select(R))}");
        Console.WriteLine($"rank {r}: mean [1] {R(world.Mean(r + 1, count: r + 1))}");
        Console.WriteLine($"rank {r}: plain-mean [1] {R(world.Mean(r + 1))}");
        Console.WriteLine($"rank {r}: accuracy [1] {R(world.Accuracy(r, 2 * r + 1))}");
        Console.WriteLine($"rank {r}: accuracy-none [1] {R(world.Accuracy(0, 0))}");
        return 0;
    }
}
