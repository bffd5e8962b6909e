using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
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
    /// <summary>Runs <paramref name="body"/> at least <paramref name="minRuns"/> times and for at least
    /// <paramref name="minSeconds"/>, each run in a dispose scope.</summary>
    public static void WarmUp(Action body, int minRuns = 3, double minSeconds = 1.0)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < minRuns || sw.Elapsed.TotalSeconds < minSeconds; i++)
        {
            using var scope = NewDisposeScope();
            body();
        }
    }

    /// <summary>The median wall time in seconds of <paramref name="reps"/> runs. <paramref name="setup"/> runs
    /// before each rep, untimed, inside the rep's dispose scope.</summary>
    public static double Median(int reps, Action body, Action? setup = null)
    {
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            var scope = NewDisposeScope();
            setup?.Invoke();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long start = Stopwatch.GetTimestamp();
            body();
            times[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            scope.Dispose();
        }
        Array.Sort(times);
        return reps % 2 == 1 ? times[reps / 2] : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
    }

    static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Prints one result as a JSON line: name, unit, value, higher_is_better, then the parameters.</summary>
    public static void Report(string name, string unit, double value, bool higherIsBetter, params (string Key, object Value)[] parameters)
    {
        var line = new JsonObject
        {
            ["name"] = name,
            ["unit"] = unit,
            ["value"] = Math.Round(value, 4),
            ["higher_is_better"] = higherIsBetter,
        };
        foreach (var (key, v) in parameters)
            line[key] = v switch
            {
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                double d => JsonValue.Create(d),
                bool b => JsonValue.Create(b),
                _ => JsonValue.Create(v.ToString()),
            };
        Console.WriteLine(line.ToJsonString(JsonOptions));
    }

    /// <summary>A float32 tensor of uniform values in [lo, hi) from a fixed seed: the same values as
    /// Nabla.Bench's <c>Harness.Uniform</c> for the same arguments. Created outside any dispose scope.</summary>
    public static Tensor Uniform(int seed, long[] shape, float lo = -1, float hi = 1, bool requiresGrad = false)
    {
        var rng = new Random(seed);
        long n = 1;
        foreach (var d in shape) n *= d;
        var data = new float[n];
        for (long i = 0; i < n; i++) data[i] = lo + (hi - lo) * rng.NextSingle();
        return tensor(data, shape, requires_grad: requiresGrad);
    }

    /// <summary>Class labels in [0, 10) from a fixed seed (int64).</summary>
    public static Tensor Labels(int seed, int n)
    {
        var rng = new Random(seed);
        var data = new long[n];
        for (int i = 0; i < n; i++) data[i] = rng.Next(10);
        return tensor(data, [n]);
    }
}
