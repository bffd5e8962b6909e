using Bench.Shared;

namespace Nabla.Bench;

/// <summary>Nabla's side of the harness: the shared rules of <see cref="BenchCore"/> plus Nabla tensors.</summary>
internal static class Harness
{
    /// <inheritdoc cref="BenchCore.WarmUp"/>
    public static void WarmUp(Action body, int minRuns = 3, double minSeconds = 1.0) => BenchCore.WarmUp(body, minRuns, minSeconds);

    /// <inheritdoc cref="BenchCore.Median"/>
    public static double Median(int reps, Action body, Action? setup = null) => BenchCore.Median(reps, body, setup);

    /// <inheritdoc cref="BenchCore.Report"/>
    public static void Report(string name, string unit, double value, bool higherIsBetter, params (string Key, object Value)[] parameters) =>
        BenchCore.Report(name, unit, value, higherIsBetter, parameters);

    /// <summary>A float32 tensor of uniform values in [lo, hi) from a fixed seed.</summary>
    public static Tensor Uniform(int seed, int[] shape, float lo = -1, float hi = 1, bool requiresGrad = false)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return Tensor.FromArray(BenchCore.UniformData(seed, n, lo, hi), shape, requiresGrad);
    }

    /// <summary>Class labels in [0, 10) from a fixed seed (int64).</summary>
    public static Tensor Labels(int seed, int n) => Tensor.FromArray(BenchCore.LabelData(seed, n), [n]);
}
