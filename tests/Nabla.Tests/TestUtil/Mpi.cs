using System.Diagnostics;

namespace Nabla.Tests.TestUtil;

/// <summary>
/// A test that starts ranks under Open MPI's mpirun. Skipped, saying so, where mpirun is not installed; where
/// NABLA_REQUIRE_MPI=1 (.ci/run sets it after installing Open MPI) it runs regardless, so CI cannot skip it silently.
/// </summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (Mpi.Launcher is null && Environment.GetEnvironmentVariable("NABLA_REQUIRE_MPI") != "1")
            Skip = "Open MPI is not installed (sudo apt install openmpi-bin libopenmpi-dev); .ci/run installs it and runs this test";
    }
}

/// <summary>Runs tests/Nabla.DistributedWorker's scenarios under mpirun and collects what the ranks printed.</summary>
public static class Mpi
{
    /// <summary>The mpirun on PATH, or null.</summary>
    public static readonly string? Launcher = FindOnPath("mpirun");

    /// <summary>What mpirun printed (<see cref="Output"/>: every rank's and its own, possibly interleaved) and what each rank printed.</summary>
    public sealed record Result(int ExitCode, string Output, string[] RankOutput, TimeSpan Elapsed)
    {
        /// <summary>The line rank <paramref name="rank"/> printed that starts with "rank R: <paramref name="name"/> ", without that prefix.</summary>
        public string Line(int rank, string name)
        {
            var prefix = $"rank {rank}: {name} ";
            var lines = RankOutput[rank].Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            Assert.True(lines.Count == 1, $"expected one line '{prefix}…' from rank {rank}, got {lines.Count}. Output:\n{Output}");
            return lines[0][prefix.Length..];
        }

        /// <summary>The numbers after the shape in a "rank R: name [shape] v v v" line.</summary>
        public double[] Values(int rank, string name)
        {
            var text = Line(rank, name);
            var afterShape = text[(text.IndexOf(']') + 1)..].Trim();
            return afterShape.Length == 0 ? [] : [.. afterShape.Split(' ').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture))];
        }
    }

    /// <summary>
    /// mpirun -np <paramref name="ranks"/> dotnet Nabla.DistributedWorker.dll <paramref name="scenario"/> args, on this
    /// machine (--oversubscribe: more ranks than cores). Fails the test if it runs past <paramref name="limit"/>.
    /// </summary>
    public static Result Run(int ranks, string scenario, string[]? args = null, TimeSpan? limit = null, IDictionary<string, string>? environment = null) =>
        RunProgram(ranks, WorkerPath, [scenario, .. args ?? []], limit, environment);

    /// <summary>mpirun -np <paramref name="ranks"/> dotnet <paramref name="program"/> args (a .dll built with the tests).</summary>
    public static Result RunProgram(int ranks, string program, string[] args, TimeSpan? limit = null, IDictionary<string, string>? environment = null)
    {
        Assert.True(Launcher is not null, "NABLA_REQUIRE_MPI=1 but mpirun is not on PATH: install Open MPI (sudo apt install openmpi-bin libopenmpi-dev)");
        var start = new ProcessStartInfo(Launcher!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-np", ranks.ToString(), "--oversubscribe", "--allow-run-as-root", "--bind-to", "none", "dotnet", program })
            start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        // Several ranks on 2 cores: one compute thread each keeps them from fighting over the cores (read by Nabla).
        start.Environment["NABLA_THREADS"] = "1";
        start.Environment["TERM"] = "dumb";
        var folder = Directory.CreateTempSubdirectory("nabla-mpi-");
        start.Environment["NABLA_WORKER_OUT"] = folder.FullName;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            if (v.Length == 0) start.Environment.Remove(k);   // "" unsets
            else start.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var max = limit ?? TimeSpan.FromMinutes(3);
        if (!process.WaitForExit(max))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun {Path.GetFileName(program)} {string.Join(" ", args)} on {ranks} ranks did not finish in {max.TotalSeconds} s. Output:\n{stdout.Result}{stderr.Result}");
        }
        var ranksOutput = Enumerable.Range(0, ranks).Select(r => Path.Combine(folder.FullName, $"rank-{r}.txt"))
            .Select(f => File.Exists(f) ? File.ReadAllText(f) : "").ToArray();
        folder.Delete(recursive: true);
        return new Result(process.ExitCode, stdout.Result + stderr.Result, ranksOutput, clock.Elapsed);
    }

    static string WorkerPath => Built(Path.Combine("tests", "Nabla.DistributedWorker"), "Nabla.DistributedWorker.dll");

    /// <summary>A program of the repository built in the tests' configuration, e.g. Built("examples/Mnist", "Mnist.dll").</summary>
    public static string Built(string projectFolder, string dll)
    {
        // tests/Nabla.Tests/bin/<Configuration>/net10.0/ -> the repository, and the same configuration of the program.
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = baseDir.Parent!.Name, framework = baseDir.Name;
        var repo = baseDir.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(repo, projectFolder, "bin", configuration, framework, dll);
        Assert.True(File.Exists(path), $"{path} was not built with the tests");
        return path;
    }

    static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
