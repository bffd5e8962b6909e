using Nabla.Tests.IO;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Distributed;

/// <summary>
/// Checkpoints under mpirun, each rank with its own folder (as machines without a shared file system): rank 0 alone
/// writes; every rank, after training apart and perturbing its model, resumes with rank 0's exact state.
/// </summary>
public class CheckpointTests
{
    [MpiFact]
    public void OnlyRankZeroWritesAndEveryRankResumesItsState()
    {
        foreach (int n in new[] { 2, 3 })
        {
            using var dir = new TempDirectory();
            var run = Mpi.Run(n, "checkpoint-resume", [dir.Path], limit: TimeSpan.FromSeconds(60));
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Equal(["run.ckpt"], Directory.GetFileSystemEntries(dir.File("rank0")).Select(Path.GetFileName));
            for (int r = 1; r < n; r++) Assert.Empty(Directory.GetFileSystemEntries(dir.File($"rank{r}")));

            var saved = run.Values(0, "saved-parameters");
            var savedOptimizer = run.Values(0, "saved-optimizer");
            var trained = run.Values(0, "trained-parameters");
            for (int r = 0; r < n; r++)
            {
                if (r > 0) Assert.NotEqual(saved, run.Values(r, "saved-parameters"));   // the ranks really trained apart
                Assert.Equal("step 3 epoch 1 saved-by rank 0 lr 0.025", run.Line(r, "info"));
                Assert.Equal(saved, run.Values(r, "loaded-parameters"));
                Assert.Equal(savedOptimizer, run.Values(r, "loaded-optimizer"));
                Assert.Equal(trained, run.Values(r, "trained-parameters"));
            }
            Assert.NotEqual(saved, trained);
        }
    }

    [MpiFact]
    public void ACorruptCheckpointOnRankZeroIsRefusedByEveryRank()
    {
        using var dir = new TempDirectory();
        var run = Mpi.Run(3, "checkpoint-corrupt", [dir.Path], limit: TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, run.Output);
        for (int r = 0; r < 3; r++)
        {
            var message = run.Line(r, "error");
            Assert.Contains("cannot be loaded", message);
            Assert.Contains("The file is truncated or corrupt", message);
            Assert.Contains("Nothing was loaded", message);
            Assert.Contains("CheckpointScenarios.cs:", message);
            if (r > 0) Assert.StartsWith($"Checkpoint.Load: rank 0 could not load '{dir.File($"rank{r}/run.ckpt")}', so no rank does:", message);
            Assert.Equal("True", run.Line(r, "unchanged").Trim());
        }
    }

    [MpiFact]
    public void ASaveThatFailsOnRankZeroFailsOnEveryRank()
    {
        using var dir = new TempDirectory();
        var run = Mpi.Run(2, "checkpoint-save-fails", [dir.Path], limit: TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.StartsWith("DirectoryNotFoundException: ", run.Line(0, "error"));
        var other = run.Line(1, "error");
        Assert.StartsWith($"DistributedException: Checkpoint.Save: rank 0 could not write '{dir.Path}/rank1/run.ckpt': ", other);
        Assert.Contains("CheckpointScenarios.cs:", other);
        Assert.Empty(Directory.GetFileSystemEntries(dir.File("rank1")));
    }
}
