using System.Diagnostics;

namespace Nabla.Tests.TestUtil;

/// <summary>Runs a program of the repository (a .dll built with the tests) with `dotnet`, as a user would.</summary>
public static class DotnetProcess
{
    /// <summary>dotnet <paramref name="dll"/> args; fails the test if it runs past <paramref name="limit"/>. Returns the exit code, stdout and stderr.</summary>
    public static (int Code, string Stdout, string Stderr) Run(string dll, IEnumerable<string> args, TimeSpan limit)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(dll)} did not finish in {limit.TotalSeconds} s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
