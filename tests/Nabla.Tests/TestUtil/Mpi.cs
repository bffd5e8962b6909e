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
        if (Mpi.OpenMpi.Path is null && Environment.GetEnvironmentVariable(Mpi.OpenMpi.RequiredBy) != "1")
            Skip = $"Open MPI is not installed (sudo apt install {Mpi.OpenMpi.Packages}); .ci/run installs it and runs this test";
    }
}

/// <summary>
/// A test that starts ranks under MPICH's mpiexec (hydra). Skipped, saying so, where mpiexec.mpich is not installed;
/// where NABLA_REQUIRE_MPICH=1 (.ci/run sets it after installing MPICH) it runs regardless.
/// </summary>
public sealed class MpichFactAttribute : FactAttribute
{
    /// <summary>The test needs Open MPI as well (it mixes the two); skipped where that is absent, unless both are required.</summary>
    public bool AlsoOpenMpi { get; set; }

    // Read after the named arguments were set, so AlsoOpenMpi counts.
    public override string? Skip
    {
        get => base.Skip ?? (Missing(Mpi.Mpich) ?? (AlsoOpenMpi ? Missing(Mpi.OpenMpi) : null));
        set => base.Skip = value;
    }

    static string? Missing(MpiLauncher mpi) =>
        mpi.Path is null && Environment.GetEnvironmentVariable(mpi.RequiredBy) != "1"
            ? $"{mpi.Name} is not installed (sudo apt install {mpi.Packages}); .ci/run installs it and runs this test"
            : null;
}

/// <summary>
/// One MPI's launcher: where it is (null if absent), how it is told the rank count and this machine's settings, and
/// what to install. Runs tests/Nabla.DistributedWorker's scenarios (or another program) and collects what the ranks printed.
/// </summary>
public sealed class MpiLauncher(string name, string? path, string packages, string requiredBy, Func<int, string[]> flags)
{
    /// <summary>"Open MPI's mpirun", "MPICH's mpiexec".</summary>
    public readonly string Name = name;

    /// <summary>The launcher's full path, or null where it is not installed.</summary>
    public readonly string? Path = path;

    /// <summary>The Debian packages that install it.</summary>
    public readonly string Packages = packages;

    /// <summary>The variable that, set to 1, forbids skipping its tests.</summary>
    public readonly string RequiredBy = requiredBy;

    /// <summary>
    /// Runs <c>dotnet Nabla.DistributedWorker.dll <paramref name="scenario"/> args</c> on <paramref name="ranks"/> ranks on
    /// this machine. Fails the test if it runs past <paramref name="limit"/>.
    /// </summary>
    public Mpi.Result Run(int ranks, string scenario, string[]? args = null, TimeSpan? limit = null, IDictionary<string, string>? environment = null) =>
        RunProgram(ranks, Mpi.Built(System.IO.Path.Combine("tests", "Nabla.DistributedWorker"), "Nabla.DistributedWorker.dll"),
            [scenario, .. args ?? []], limit, environment);

    /// <summary>Runs <c>dotnet <paramref name="program"/> args</c> (a .dll built with the tests) on <paramref name="ranks"/> ranks.</summary>
    public Mpi.Result RunProgram(int ranks, string program, string[] args, TimeSpan? limit = null, IDictionary<string, string>? environment = null)
    {
        Assert.True(Path is not null, $"{RequiredBy}=1 but {Name} is not installed: sudo apt install {Packages}");
        var start = new ProcessStartInfo(Path!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in flags(ranks).Concat(["dotnet", program, .. args])) start.ArgumentList.Add(a);
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
            Assert.Fail($"{Name} {System.IO.Path.GetFileName(program)} {string.Join(" ", args)} on {ranks} ranks did not finish in {max.TotalSeconds} s. Output:\n{stdout.Result}{stderr.Result}");
        }
        var ranksOutput = Enumerable.Range(0, ranks).Select(r => System.IO.Path.Combine(folder.FullName, $"rank-{r}.txt"))
            .Select(f => File.Exists(f) ? File.ReadAllText(f) : "").ToArray();
        folder.Delete(recursive: true);
        return new Mpi.Result(process.ExitCode, stdout.Result + stderr.Result, ranksOutput, clock.Elapsed);
    }
}

/// <summary>The two MPIs the distributed tests run under, and what the ranks printed.</summary>
public static class Mpi
{
    /// <summary>
    /// Open MPI's mpirun: Debian's mpirun.openmpi by name (plain mpirun may be MPICH's where both are installed and the
    /// alternatives point there), else an mpirun that says it is Open MPI's. --oversubscribe: more ranks than cores;
    /// --bind-to none: pinning would stack oversubscribed ranks on one core.
    /// </summary>
    public static readonly MpiLauncher OpenMpi = new("Open MPI's mpirun", FindOpenMpi(), "openmpi-bin libopenmpi-dev", "NABLA_REQUIRE_MPI",
        n => ["-np", n.ToString(), "--oversubscribe", "--allow-run-as-root", "--bind-to", "none"]);

    /// <summary>
    /// MPICH's mpiexec (hydra), Debian's mpiexec.mpich. It needs no flag to run as root or more ranks than cores, does not
    /// bind ranks to cores unless asked, and passes the whole environment to the ranks.
    /// </summary>
    public static readonly MpiLauncher Mpich = new("MPICH's mpiexec", FindOnPath("mpiexec.mpich") ?? FindOnPath("mpiexec.hydra"),
        "mpich libmpich-dev", "NABLA_REQUIRE_MPICH", n => ["-n", n.ToString()]);

    /// <summary>What the launcher printed (<see cref="Output"/>: every rank's and its own, possibly interleaved) and what each rank printed.</summary>
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

    /// <summary>A scenario under Open MPI's mpirun (<see cref="MpiLauncher.Run"/>).</summary>
    public static Result Run(int ranks, string scenario, string[]? args = null, TimeSpan? limit = null, IDictionary<string, string>? environment = null) =>
        OpenMpi.Run(ranks, scenario, args, limit, environment);

    /// <summary>A program under Open MPI's mpirun (<see cref="MpiLauncher.RunProgram"/>).</summary>
    public static Result RunProgram(int ranks, string program, string[] args, TimeSpan? limit = null, IDictionary<string, string>? environment = null) =>
        OpenMpi.RunProgram(ranks, program, args, limit, environment);

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

    static string? FindOpenMpi()
    {
        if (FindOnPath("mpirun.openmpi") is { } debian) return debian;
        if (FindOnPath("mpirun") is not { } mpirun) return null;
        // Elsewhere mpirun may be any MPI's: take it only if it says it is Open MPI's ("mpirun (Open MPI) 4.1.4").
        try
        {
            using var version = Process.Start(new ProcessStartInfo(mpirun, "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = version.StandardOutput.ReadToEnd() + version.StandardError.ReadToEnd();
            return version.WaitForExit(10_000) && text.Contains("Open MPI", StringComparison.Ordinal) ? mpirun : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
