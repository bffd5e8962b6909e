using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bench.Shared;

/// <summary>
/// The library-agnostic half of the benchmark harness, compiled into both bench/Nabla.Bench and
/// bench/Peers.TorchSharp (linked source, not a project reference, so the peer never depends on
/// Nabla): the timing rules, the JSON line format, seeded input data, the command line, and the
/// child-process helpers. One copy means the two sides cannot drift apart.
/// </summary>
internal static class BenchCore
{
    /// <summary>Runs <paramref name="body"/> until it has run at least <paramref name="minRuns"/> times and
    /// <paramref name="minSeconds"/> have passed, so the JIT has promoted the hot code before timing.
    /// <paramref name="scope"/> (TorchSharp's dispose scope) wraps each run when given.</summary>
    public static void WarmUp(Action body, int minRuns, double minSeconds, Func<IDisposable>? scope = null)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < minRuns || sw.Elapsed.TotalSeconds < minSeconds; i++)
        {
            using var s = scope?.Invoke();
            body();
        }
    }

    /// <summary>The median wall time in seconds of <paramref name="reps"/> runs of <paramref name="body"/>.
    /// <paramref name="setup"/> runs before each rep, untimed, then a full GC, so garbage from one rep is
    /// not collected inside the next. A <paramref name="scope"/> is opened before setup and disposed after
    /// the timer stops.</summary>
    public static double Median(int reps, Action body, Action? setup = null, Func<IDisposable>? scope = null)
    {
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            var s = scope?.Invoke();
            setup?.Invoke();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long start = Stopwatch.GetTimestamp();
            body();
            times[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            s?.Dispose();
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

    /// <summary>n float32 values uniform in [lo, hi) from a fixed seed (the same on both sides).</summary>
    public static float[] UniformData(int seed, long n, float lo, float hi)
    {
        var rng = new Random(seed);
        var data = new float[n];
        for (long i = 0; i < n; i++) data[i] = lo + (hi - lo) * rng.NextSingle();
        return data;
    }

    /// <summary>n class labels in [0, 10) from a fixed seed.</summary>
    public static long[] LabelData(int seed, int n)
    {
        var rng = new Random(seed);
        var data = new long[n];
        for (int i = 0; i < n; i++) data[i] = rng.Next(10);
        return data;
    }

    /// <summary>
    /// Parses <c>--filter NAME</c>, <c>--quick</c> and <c>--help</c>; returns the workloads to run, or an
    /// exit code (0 after help, 2 for a bad argument or a filter that matches nothing).
    /// </summary>
    public static (List<(string Name, Action<int, bool> Run)> Selected, bool Quick, int? Exit) ParseArgs(
        string program, string[] args, IReadOnlyList<(string Name, Action<int, bool> Run)> workloads)
    {
        string? filter = null;
        bool quick = false;
        string names = string.Join(", ", workloads.Select(b => b.Name));
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--filter" when i + 1 < args.Length:
                    filter = args[++i];
                    break;
                case "-h" or "--help":
                    Console.Error.WriteLine($"usage: {program} [--filter NAME] [--quick]");
                    Console.Error.WriteLine($"  --filter NAME  run only benchmarks whose name contains NAME ({names})");
                    Console.Error.WriteLine("  --quick        smaller sizes and fewer repetitions (a smoke run)");
                    return ([], quick, 0);
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'; try --help");
                    return ([], quick, 2);
            }
        }
        var selected = workloads.Where(b => filter is null || b.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
        if (selected.Count == 0)
        {
            Console.Error.WriteLine($"no benchmark matches '{filter}'; names: {names}");
            return ([], quick, 2);
        }
        return (selected, quick, null);
    }

    /// <summary>Starts this program again with the given arguments and returns what it printed on stdout.</summary>
    public static string Launch(Assembly program, params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        // Under `dotnet X.dll` the process is the host: pass the program's own dll first.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            psi.ArgumentList.Add(program.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"child {string.Join(' ', args)} exited with {p.ExitCode}");
        return output;
    }

    /// <summary>A "Key:   N kB" field of /proc/self/status, in KiB.</summary>
    public static double ProcStatusKiB(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
                return double.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"/proc/self/status has no {key}");
    }

    /// <summary>Least-squares slope of y over x: growth per step, robust to the noise of single samples.</summary>
    public static double Slope(List<double> x, List<double> y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        return sxy / sxx;
    }
}
