using Nabla.DistributedWorker;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Distributed;

/// <summary>
/// The distributed scenarios under MPICH's mpiexec (hydra), which makes Nabla load libmpich.so.12 and call it through
/// MPICH's ABI (int handles, its own MPI_Status, MPI_IN_PLACE and MPI_ANY_SOURCE). Each asserts what the Open MPI test
/// of the same name asserts, through the same helper, so both MPIs must give the same numbers.
/// </summary>
[Collection("ProcessGroup")]
public class MpichTests
{
    [MpichFact]
    public void EveryCollectiveOnTwoAndThreeRanks() => CollectiveTests.CheckEveryCollective(Mpi.Mpich, "MPICH");

    [MpichFact]
    public void RanksThatDisagreeOnAShapeAllThrowTheSameMessage() => CollectiveTests.CheckShapeMismatch(Mpi.Mpich);

    // The timed-out ranks ask the others where they are (MPI_Iprobe from MPI_ANY_SOURCE, which is -2 in MPICH).
    [MpichFact]
    public void AHangingRankIsNamedAndTheRunEndsWithinTheTimeout() => CollectiveTests.CheckHangingRankIsNamed(Mpi.Mpich);

    [MpichFact]
    public void ARankThatExitsWithAFailureEndsTheRunNamingIt() => CollectiveTests.CheckExitWithAFailure(Mpi.Mpich);

    // Hydra ends the others at once too, but reports the killed process by its PID and signal, not its rank.
    [MpichFact]
    public void AKilledRankEndsTheRun()
    {
        var run = Mpi.Mpich.Run(3, "crash", limit: TimeSpan.FromSeconds(90));
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES", run.Output);
        Assert.Contains("Killed (signal 9)", run.Output);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(30), $"took {run.Elapsed}");
    }

    [MpichFact]
    public void DeterministicTrainingOnTwoAndThreeRanksEqualsOneProcessBitForBit() => DdpTests.CheckDeterministicTraining(Mpi.Mpich);

    [MpichFact]
    public void WithoutDeterminismThreeRanksAgreeWithOneProcessToOneMillionth()
    {
        var run = Mpi.Mpich.Run(3, "ddp-train", ["adam", "3", "fast", "1", "25"]);
        Assert.True(run.ExitCode == 0, run.Output);
        DdpTests.AssertParameters(run, 3, DdpTraining.Reference(3, 1, "adam", 3, tape: false), relative: 1e-6);
    }

    // NABLA_MPI_LIBRARY names the file; its ABI is told by its symbols (here MPICH's, no ompi_mpi_comm_world).
    [MpichFact]
    public void NablaMpiLibraryNamesTheLibraryAndItsAbiIsFoundFromItsSymbols()
    {
        var library = MpichLibraryFile();
        var run = Mpi.Mpich.Run(2, "collectives", environment: new Dictionary<string, string> { ["NABLA_MPI_LIBRARY"] = library });
        CollectiveTests.CheckCollectives(2, run);
        Assert.StartsWith("MPICH Version:", run.Line(0, "library"));
        Assert.EndsWith($"({library})", run.Line(1, "library"));
    }

    // Open MPI's library under MPICH's launcher does not see the other ranks: every rank must say so rather than run alone.
    [MpichFact(AlsoOpenMpi = true)]
    public void AnotherMpisLibraryUnderTheLauncherIsRefusedNamingBoth()
    {
        var run = Mpi.Mpich.Run(2, "collectives", limit: TimeSpan.FromSeconds(90),
            environment: new Dictionary<string, string> { ["NABLA_MPI_LIBRARY"] = "libmpi.so.40" });
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("the launcher started 2 ranks but Open MPI's libmpi.so.40 sees 1: the library is not the launcher's MPI", run.Output);
    }

    // Init fails on every rank saying what it found and what to do, before any MPI call.
    [MpichFact]
    public void ALibraryThatIsNotMpiOrIsMissingIsRefusedSayingWhatToDo()
    {
        var notMpi = Mpi.Mpich.Run(2, "collectives", environment: new Dictionary<string, string> { ["NABLA_MPI_LIBRARY"] = "libc.so.6" });
        Assert.NotEqual(0, notMpi.ExitCode);
        Assert.Contains("libc.so.6 is not an MPI library (it exports neither ompi_mpi_comm_world, as Open MPI does, nor MPI_Init_thread)", notMpi.Output);
        var missing = Mpi.Mpich.Run(2, "collectives", environment: new Dictionary<string, string> { ["NABLA_MPI_LIBRARY"] = "/nonexistent/libmpich.so.12" });
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("no MPI library found (tried /nonexistent/libmpich.so.12); check NABLA_MPI_LIBRARY", missing.Output);
    }

    static string MpichLibraryFile() =>
        new[] { "/usr/lib/x86_64-linux-gnu/libmpich.so.12", "/usr/lib/aarch64-linux-gnu/libmpich.so.12" }.FirstOrDefault(File.Exists)
        ?? "libmpich.so.12";
}
