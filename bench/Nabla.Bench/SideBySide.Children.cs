using Bench.Shared;
using System.Diagnostics;
using System.Globalization;
using Nabla.Backends.Cpu;

namespace Nabla.Bench;

/// <summary>
/// The two workloads measured in fresh processes: <c>memory</c> (a process that only trains the MLP) and
/// <c>startup</c> (process start to the first tensor op). The benchmark launches this same program with
/// <c>--memory-child STEPS</c> / <c>--startup-child TICKS</c>; bench/Peers.TorchSharp/Children.cs is the
/// same protocol for TorchSharp.
/// </summary>
internal static partial class SideBySide
{
    /// <summary>Runs a child mode if the arguments ask for one; returns its exit code, or null.</summary>
    public static int? RunChild(string[] args)
    {
        if (args.Length >= 2 && args[0] == "--memory-child") return MemoryChild(int.Parse(args[1], CultureInfo.InvariantCulture));
        if (args.Length >= 2 && args[0] == "--startup-child") return StartupChild(long.Parse(args[1], CultureInfo.InvariantCulture));
        return null;
    }

    /// <summary>Peak RSS and RSS growth per step of a child process that trains the MLP (batch 128, Adam)
    /// for 1500 steps (300 with --quick), without any Dispose.</summary>
    static void Memory(int threads, bool quick)
    {
        if (threads != 1) return; // one child process on one thread, run once
        int steps = quick ? 300 : 1500;
        Console.Write(BenchCore.Launch(typeof(SideBySide).Assembly, "--memory-child", steps.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Median over several fresh processes of the time from process start (the parent's clock just
    /// before it starts the child) to Main, and to the end of the first tensor op (a 16-element ones + 1).</summary>
    static void Startup(int threads, bool quick)
    {
        if (threads != 1) return;
        int reps = quick ? 3 : 7;
        var toMain = new double[reps];
        var toFirstOp = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            var parts = BenchCore.Launch(typeof(SideBySide).Assembly, "--startup-child", DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries);
            toMain[r] = double.Parse(parts[0], CultureInfo.InvariantCulture);
            toFirstOp[r] = double.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        Array.Sort(toMain);
        Array.Sort(toFirstOp);
        Harness.Report("startup", "ms", toMain[reps / 2], false, ("mode", "to_main"), ("threads", "default"), ("reps", reps));
        Harness.Report("startup", "ms", toFirstOp[reps / 2], false, ("mode", "to_first_op"), ("threads", "default"), ("reps", reps));
    }

    static int MemoryChild(int steps)
    {
        CpuParallel.Threads = 1;
        var step = MlpStep();
        var sampleSteps = new List<double>();
        var samples = new List<double>();
        for (int s = 1; s <= steps; s++)
        {
            step();
            if (s > steps / 2 && s % 10 == 0)
            {
                sampleSteps.Add(s);
                samples.Add(BenchCore.ProcStatusKiB("VmRSS"));
            }
        }
        double peakMiB = BenchCore.ProcStatusKiB("VmHWM") / 1024.0;
        Harness.Report("memory", "MiB", peakMiB, false,
            ("mode", "peak_rss"), ("model", "mlp"), ("steps", steps), ("threads", 1));
        Harness.Report("memory", "KiB/step", BenchCore.Slope(sampleSteps, samples), false,
            ("mode", "rss_growth_second_half"), ("model", "mlp"), ("steps", steps), ("threads", 1));
        return 0;
    }

    static int StartupChild(long parentTicks)
    {
        double toMain = (DateTime.UtcNow.Ticks - parentTicks) / 1e4;
        var y = Tensor.Ones(16) + 1;
        _ = y.ToArray<float>()[0]; // the op has run and its result is readable
        double toFirstOp = (DateTime.UtcNow.Ticks - parentTicks) / 1e4;
        Console.WriteLine(FormattableString.Invariant($"{toMain:F2} {toFirstOp:F2}"));
        return 0;
    }
}
