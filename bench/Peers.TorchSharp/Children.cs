using Bench.Shared;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Peers.TorchSharp;

/// <summary>
/// The two workloads measured in fresh processes: <c>memory</c> (a process that only trains the MLP) and
/// <c>startup</c> (process start to the first tensor op). The parent launches this same program with
/// <c>--memory-child</c> / <c>--startup-child</c>; the same protocol as bench/Nabla.Bench/SideBySide.cs.
/// </summary>
internal static class Children
{
    /// <summary>Runs a child mode if the arguments ask for one; returns its exit code, or null.</summary>
    public static int? Run(string[] args)
    {
        if (args.Length >= 2 && args[0] == "--memory-child") return MemoryChild(int.Parse(args[1]));
        if (args.Length >= 2 && args[0] == "--startup-child") return StartupChild(long.Parse(args[1]));
        return null;
    }

    /// <summary>Peak RSS and RSS growth per step of a child that trains the MLP (batch 128, Adam) for
    /// <c>steps</c> steps, with a dispose scope per step as TorchSharp's documentation recommends.</summary>
    public static void Memory(int threads, bool quick)
    {
        if (threads != 1) return; // one child process on one thread, run once
        int steps = quick ? 300 : 1500;
        var output = BenchCore.Launch(typeof(Children).Assembly, "--memory-child", steps.ToString());
        Console.Write(output);
    }

    /// <summary>Median over several fresh processes of the time from process start to Main and to the end of
    /// the first tensor op (a 16-element ones + 1).</summary>
    public static void Startup(int threads, bool quick)
    {
        if (threads != 1) return;
        int reps = quick ? 3 : 7;
        var toMain = new double[reps];
        var toFirstOp = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            var parts = BenchCore.Launch(typeof(Children).Assembly, "--startup-child", DateTime.UtcNow.Ticks.ToString()).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            toMain[r] = double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            toFirstOp[r] = double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        Array.Sort(toMain);
        Array.Sort(toFirstOp);
        Harness.Report("startup", "ms", toMain[reps / 2], false, ("mode", "to_main"), ("threads", "default"), ("reps", reps));
        Harness.Report("startup", "ms", toFirstOp[reps / 2], false, ("mode", "to_first_op"), ("threads", "default"), ("reps", reps));
    }

    static int MemoryChild(int steps)
    {
        torch.set_num_threads(1);
        var (x, labels) = Training.MlpData();
        var step = Training.StepOf(Training.Mlp(), x, labels);
        var sampleSteps = new List<double>();
        var samples = new List<double>();
        for (int s = 1; s <= steps; s++)
        {
            using (var scope = NewDisposeScope())
                step();
            if (s > steps / 2 && s % 10 == 0)
            {
                sampleSteps.Add(s);
                samples.Add(BenchCore.ProcStatusKiB("VmRSS"));
            }
        }
        double peakMiB = BenchCore.ProcStatusKiB("VmHWM") / 1024.0;
        double growthKiBPerStep = BenchCore.Slope(sampleSteps, samples);
        Harness.Report("memory", "MiB", peakMiB, false, ("mode", "peak_rss"), ("model", "mlp"), ("steps", steps), ("threads", 1));
        Harness.Report("memory", "KiB/step", growthKiBPerStep, false, ("mode", "rss_growth_second_half"), ("model", "mlp"), ("steps", steps), ("threads", 1));
        return 0;
    }

    static int StartupChild(long parentTicks)
    {
        double toMain = (DateTime.UtcNow.Ticks - parentTicks) / 1e4;
        var y = ones(16) + 1;
        _ = y.data<float>()[0]; // the op has run and its result is readable
        double toFirstOp = (DateTime.UtcNow.Ticks - parentTicks) / 1e4;
        Console.WriteLine(FormattableString.Invariant($"{toMain:F2} {toFirstOp:F2}"));
        return 0;
    }
}
