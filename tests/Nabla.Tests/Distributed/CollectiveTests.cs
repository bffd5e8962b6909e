using Nabla.Distributed;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Distributed;

/// <summary>
/// Collectives across 2 and 3 ranks started by mpirun on this machine, against values worked out by hand: rank r
/// holds x_r[i] = r + 1 + i/4 (i = 0..5).
/// </summary>
[Collection("ProcessGroup")]   // tests that Init and Dispose the one-rank group must not run beside each other
public class CollectiveTests
{
    static double X(int rank, int i) => rank + 1 + i / 4.0;

    [MpiFact]
    public void EveryCollectiveOnTwoAndThreeRanks() => CheckEveryCollective(Mpi.OpenMpi, "Open MPI");

    // Shared with MpichTests: the same values under either MPI, and the library the ranks loaded (its name first).
    internal static void CheckEveryCollective(MpiLauncher launcher, string library)
    {
        foreach (int n in new[] { 2, 3 })
        {
            var run = launcher.Run(n, "collectives");
            CheckCollectives(n, run);
            for (int r = 0; r < n; r++) Assert.StartsWith(library, run.Line(r, "library"));
        }
    }

    // ProcessGroupOptions.Checked = false: no per-call gate, the same values.
    [MpiFact]
    public void UncheckedCollectivesGiveTheSameValues() =>
        CheckCollectives(3, Mpi.Run(3, "collectives", environment: new Dictionary<string, string> { ["NABLA_DIST_CHECKS"] = "0" }));

    internal static void CheckCollectives(int n, Mpi.Result run)
    {
        Assert.True(run.ExitCode == 0, run.Output);
        var ranks = Enumerable.Range(0, n).ToArray();
        var i6 = Enumerable.Range(0, 6).ToArray();
        double[] sum = [.. i6.Select(i => ranks.Sum(r => X(r, i)))];
        double[] product = [.. i6.Select(i => ranks.Aggregate(1.0, (p, r) => p * X(r, i)))];
        for (int r = 0; r < n; r++)
        {
            Assert.Equal($"{n} local {r} backend mpi", run.Line(r, "size"));
            Assert.Equal(sum, run.Values(r, "sum"));
            Assert.Equal(sum.Select(s => s / n), run.Values(r, "average"));
            Assert.Equal(i6.Select(i => X(n - 1, i)), run.Values(r, "max"));
            Assert.Equal(i6.Select(i => X(0, i)), run.Values(r, "min"));
            Assert.Equal(product, run.Values(r, "product"));
            Assert.Equal(sum.Select(s => (double)(float)s), run.Values(r, "sum-float32"));
            Assert.Equal([n * (n + 1) / 2.0, n * (n + 1) / 2.0], run.Values(r, "sum-int64"));
            Assert.Equal(i6.Select(i => X(n - 1, i)), run.Values(r, "broadcast"));
            Assert.StartsWith($"[{2 * n},3] ", run.Line(r, "gather"));
            Assert.Equal(ranks.SelectMany(q => i6.Select(i => X(q, i))), run.Values(r, "gather"));
            Assert.Equal(ranks.Select(q => (double)q), run.Values(r, "gather-scalar"));
            // rank q sends [q, q+1, …, q+2n-1]; rank r keeps elements 2r and 2r+1 of the sum.
            Assert.Equal(new[] { 2 * r, 2 * r + 1 }.Select(k => ranks.Sum(q => (double)(k + q))), run.Values(r, "reduce-scatter"));
            Assert.Equal(sum, run.Values(r, "in-place"));
            Assert.Equal((n * (n - 1) / 2 + 0.5 * n).ToString("R", System.Globalization.CultureInfo.InvariantCulture), run.Line(r, "metric").Trim());
        }
    }

    [MpiFact]
    public void RanksThatDisagreeOnAShapeAllThrowTheSameMessage() => CheckShapeMismatch(Mpi.OpenMpi);

    internal static void CheckShapeMismatch(MpiLauncher launcher)
    {
        var run = launcher.Run(3, "shape-mismatch");
        Assert.True(run.ExitCode == 0, run.Output);
        for (int r = 0; r < 3; r++)
        {
            var message = run.Line(r, "error");
            Assert.Contains("AllReduce: the ranks disagree", message);
            Assert.Contains("rank 0: AllReduce (Sum) of float32 [1]; rank 1: AllReduce (Sum) of float32 [2]; rank 2: AllReduce (Sum) of float32 [3]", message);
            Assert.Contains("CollectiveScenarios.cs:", message);
        }
    }

    // Unchecked, the others wait inside MPI_Allreduce where no deadline can be tested: the watchdog ends the run.
    [MpiFact]
    public void UncheckedAHangingRankStillEndsTheRunWithinTheTimeout()
    {
        var run = Mpi.Run(3, "hang-allreduce", ["4"], limit: TimeSpan.FromSeconds(90),
            environment: new Dictionary<string, string> { ["NABLA_DIST_CHECKS"] = "0" });
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("AllReduce #2 (float32 [3]) did not finish within 4 s", run.Output);
        Assert.Contains("it waits inside MPI for a rank that has not joined", run.Output);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(60), $"took {run.Elapsed}");
    }

    [MpiFact]
    public void AHangingRankIsNamedAndTheRunEndsWithinTheTimeout() => CheckHangingRankIsNamed(Mpi.OpenMpi);

    internal static void CheckHangingRankIsNamed(MpiLauncher launcher)
    {
        var run = launcher.Run(3, "hang", ["4"], limit: TimeSpan.FromSeconds(90));
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Barrier #", run.Output);
        Assert.Contains("did not finish within 4 s", run.Output);
        Assert.Contains("rank 2 is between collectives (its last was AllReduce #", run.Output);
        // 4 s of timeout, up to 3 s asking the others, and start-up; far from the sleeping rank's 5 minutes.
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(60), $"took {run.Elapsed}");
    }

    // The collective waits 60 s; a rank that exits with a failure code or is killed ends the run long before.
    [MpiFact]
    public void ARankThatExitsWithAFailureEndsTheRunNamingIt() => CheckExitWithAFailure(Mpi.OpenMpi);

    internal static void CheckExitWithAFailure(MpiLauncher launcher)
    {
        var run = launcher.Run(3, "exit-early", limit: TimeSpan.FromSeconds(90));
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("rank 2 of 3 exits with code 3 and ends the run", run.Output);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(30), $"took {run.Elapsed}");
    }

    [MpiFact]
    public void AKilledRankEndsTheRunNamingIt()
    {
        var run = Mpi.Run(3, "crash", limit: TimeSpan.FromSeconds(90));
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("rank 2", run.Output);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(30), $"took {run.Elapsed}");
    }

    // Ranks on one machine divide its cores unless NABLA_THREADS (or Threads.Count) chose a count.
    [MpiFact]
    public void RanksOnOneMachineShareItsCoresUnlessNablaThreadsIsSet()
    {
        int share = Math.Max(1, Environment.ProcessorCount / 2);
        var run = Mpi.Run(2, "threads", environment: new Dictionary<string, string> { ["NABLA_THREADS"] = "" });
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal($"{share} local-size 2", run.Line(0, "threads"));
        Assert.Equal($"{share} local-size 2", run.Line(1, "threads"));
        var chosen = Mpi.Run(2, "threads", environment: new Dictionary<string, string> { ["NABLA_THREADS"] = "3" });
        Assert.Equal("3 local-size 2", chosen.Line(1, "threads"));
    }

    [Fact]
    public void WithoutMpirunTheGroupHasOneRankAndCollectivesReturnTheirInput()
    {
        Assert.False(ProcessGroup.LaunchedByMpi);
        using var world = ProcessGroup.Init();
        Assert.Equal((0, 1, "single", true), (world.Rank, world.Size, world.Backend, world.IsMain));
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]);
        Assert.Equal(x.ToArray<float>(), world.AllReduce(x, ReduceOp.Average).ToArray<float>());
        Assert.Equal(x.ToArray<float>(), world.Broadcast(x).ToArray<float>());
        Assert.Equal([2, 2], world.AllGather(x).Shape.ToArray());
        Assert.Equal([1], world.AllGather(Tensor.Full([], 5.0)).Shape.ToArray());
        Assert.Equal(7.5, world.AllReduce(7.5));
        world.Barrier();
        var e = Assert.Throws<ArgumentException>(() => world.AllReduceInPlace(x.T));
        Assert.Contains("AllReduceInPlace: the tensor must be a contiguous CPU tensor", e.Message);
        Assert.Contains("CollectiveTests.cs:", e.Message);
        var b = Assert.Throws<ArgumentException>(() => world.AllReduce(Tensor.Zeros([2], DType.Bool)));
        Assert.Contains("bool tensors are not supported", b.Message);
    }
}
