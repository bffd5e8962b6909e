using System.Globalization;
using System.Text.RegularExpressions;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Examples;

/// <summary>
/// The main job under mpirun: examples/Mnist --distributed on 2 ranks (eager, global batch 64 as 2 × 32) against the
/// same run in one process, then a resume from the checkpoint rank 0 wrote, then the compiled distributed step against
/// the eager one. A small MLP run (1,200 images) keeps it
/// to seconds; the full run's figures are in the README.
/// </summary>
public class MnistDistributedTests
{
    static readonly string Mnist = TestUtil.Mpi.Built(Path.Combine("examples", "Mnist"), "Mnist.dll");

    [MpiFact]
    public void TwoRanksReachTheSingleProcessAccuracyAndResumeFromRankZerosCheckpoint()
    {
        var dir = Directory.CreateTempSubdirectory("nabla-mnist-dist-");
        try
        {
            string[] common = ["--model", "mlp", "--limit", "1200", "--eager", "--out", dir.FullName];
            var single = RunAlone([.. common, "--epochs", "1"]);
            var checkpoint = Path.Combine(dir.FullName, "run.ckpt");
            var run = TestUtil.Mpi.RunProgram(2, Mnist, [.. common, "--epochs", "1", "--distributed", "--checkpoint", checkpoint]);
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("batch 64 (32 on each of 2 ranks)", run.Output);
            // Only rank 0 prints: one summary line, one accuracy.
            Assert.Single(Regex.Matches(run.Output, "test accuracy: "));
            double alone = Accuracy(single), distributed = Accuracy(run.Output);
            // The two runs sum the same gradients in another grouping, so their trajectories part in the last bits;
            // after one epoch on 1,200 images seeds alone move this MLP's accuracy by up to two points (0.787-0.806, seeds 0-2).
            Assert.InRange(distributed, alone - 0.02, alone + 0.02);
            Assert.True(File.Exists(checkpoint), "rank 0 wrote no checkpoint");

            var resumed = TestUtil.Mpi.RunProgram(2, Mnist, [.. common, "--epochs", "2", "--distributed", "--checkpoint", checkpoint, "--resume"]);
            Assert.True(resumed.ExitCode == 0, resumed.Output);
            Assert.Contains($"resumed from {checkpoint} after epoch 1 (step 19)", resumed.Output);   // 1,200 / 64 → 19 steps
            Assert.DoesNotContain("epoch 1:", resumed.Output);
            Assert.Contains("epoch 2:", resumed.Output);

            // Compiled (the default): the step's graph holds the bucket all-reduce as an op. A sum of two ranks does not
            // depend on the order it is taken in, and the compiled step computes what the eager one does, so the epoch's
            // numbers are the eager distributed run's to the printed digit.
            string[] compiledArgs = [.. common.Where(a => a != "--eager"), "--epochs", "1", "--distributed"];
            var compiled = TestUtil.Mpi.RunProgram(2, Mnist, compiledArgs);
            Assert.True(compiled.ExitCode == 0, compiled.Output);
            Assert.Contains("compiled", compiled.Output);
            Assert.Equal(EpochLine(run.Output), EpochLine(compiled.Output));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    static string EpochLine(string output)
    {
        var m = Regex.Match(output, @"epoch 1: train loss .*?test acc [^,]*");   // without the seconds
        Assert.True(m.Success, output);
        return m.Value.Trim();
    }

    static double Accuracy(string output)
    {
        var m = Regex.Match(output, @"test accuracy: (0\.\d+)");
        Assert.True(m.Success, output);
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    static string RunAlone(string[] args)
    {
        var (code, stdout, stderr) = DotnetProcess.Run(Mnist, args, TimeSpan.FromMinutes(3));
        Assert.True(code == 0, stdout + stderr);
        return stdout;
    }
}
