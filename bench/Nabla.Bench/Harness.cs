using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nabla.Bench;

/// <summary>Timing and reporting shared by the benchmarks: warm-up, medians, one JSON line per result.</summary>
internal static class Harness
{
    /// <summary>Runs <paramref name="body"/> until it has run at least <paramref name="minRuns"/> times and
    /// <paramref name="minSeconds"/> have passed, so the JIT has promoted the hot code before timing.</summary>
    public static void WarmUp(Action body, int minRuns = 3, double minSeconds = 1.0)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < minRuns || sw.Elapsed.TotalSeconds < minSeconds; i++) body();
    }

    /// <summary>The median wall time in seconds of <paramref name="reps"/> runs of <paramref name="body"/>.
    /// <paramref name="setup"/> runs before each rep, untimed (after a full GC, so garbage from one rep is
    /// not collected inside the next).</summary>
    public static double Median(int reps, Action body, Action? setup = null)
    {
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            setup?.Invoke();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long start = Stopwatch.GetTimestamp();
            body();
            times[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(times);
        return reps % 2 == 1 ? times[reps / 2] : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
    }

    // Plain "+" and "*" in strings rather than \u002B escapes: the lines are read by people too.
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

    /// <summary>A float32 tensor of uniform values in [lo, hi) from a fixed seed.</summary>
    public static Tensor Uniform(int seed, int[] shape, float lo = -1, float hi = 1, bool requiresGrad = false)
    {
        var rng = new Random(seed);
        int n = 1;
        foreach (var d in shape) n *= d;
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = lo + (hi - lo) * rng.NextSingle();
        return Tensor.FromArray(data, shape, requiresGrad);
    }
}
