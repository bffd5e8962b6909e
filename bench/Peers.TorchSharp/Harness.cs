using Bench.Shared;
using TorchSharp;
using static TorchSharp.torch;

namespace Peers.TorchSharp;

/// <summary>
/// The same timing and reporting rules as bench/Nabla.Bench/Harness.cs (warm-up, median of reps, a full GC
/// before each rep, one JSON line per result), for TorchSharp. Every run of a body happens inside its own
/// dispose scope, as TorchSharp's documentation tells users to write loops; the scope is disposed after the
/// timer stops, just as Nabla's garbage from one rep is collected by the untimed GC before the next.
/// </summary>
internal static class Harness
{
    /// <summary>Warm-up as <see cref="BenchCore.WarmUp"/>, each run in a dispose scope.</summary>
    public static void WarmUp(Action body, int minRuns = 3, double minSeconds = 1.0) =>
        BenchCore.WarmUp(body, minRuns, minSeconds, NewDisposeScope);

    /// <summary>The median as <see cref="BenchCore.Median"/>; each rep (setup included) runs in a dispose
    /// scope that is disposed after the timer stops.</summary>
    public static double Median(int reps, Action body, Action? setup = null) =>
        BenchCore.Median(reps, body, setup, NewDisposeScope);

    /// <inheritdoc cref="BenchCore.Report"/>
    public static void Report(string name, string unit, double value, bool higherIsBetter, params (string Key, object Value)[] parameters) =>
        BenchCore.Report(name, unit, value, higherIsBetter, parameters);

    /// <summary>A float32 tensor of uniform values in [lo, hi) from a fixed seed: the same values as
    /// Nabla.Bench's <c>Harness.Uniform</c> for the same arguments. Created outside any dispose scope.</summary>
    public static Tensor Uniform(int seed, long[] shape, float lo = -1, float hi = 1, bool requiresGrad = false)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return tensor(BenchCore.UniformData(seed, n, lo, hi), shape, requires_grad: requiresGrad);
    }

    /// <summary>Class labels in [0, 10) from a fixed seed (int64).</summary>
    public static Tensor Labels(int seed, int n) => tensor(BenchCore.LabelData(seed, n), [n]);
}
