using System.Diagnostics.CodeAnalysis;
using Nabla.Backends;

namespace Nabla.Distributed;

/// <summary>
/// The processes of one distributed run (torch.distributed's default process group): each process is a rank;
/// collectives combine tensors across all of them. Start the same program under MPI
/// (<c>mpirun -np 4 dotnet MyTrainer.dll</c>, or across machines with <c>--hostfile</c>) and call <see cref="Init"/>
/// once; started without mpirun, the group has one rank and every collective returns its input, so the same program
/// runs alone unchanged (and needs no MPI installed).
/// </summary>
/// <example><code>
/// using var world = ProcessGroup.Init();
/// var total = world.AllReduce(Tensor.Full([3], world.Rank + 1.0));   // [1+2+…+N, …] on every rank
/// if (world.IsMain) Console.WriteLine(total);
/// </code></example>
public sealed partial class ProcessGroup : IDisposable
{
    static ProcessGroup? current;
    static bool mpiFinalized;
    static readonly object Gate = new();

    readonly Communicator? comm;
    readonly MpiLibrary? mpi;
    bool disposed;

    ProcessGroup(MpiLibrary? mpi, Communicator? comm, int localRank, int localSize, TimeSpan timeout, bool deterministic, bool isChecked = true)
    {
        Checked = isChecked;
        this.mpi = mpi;
        this.comm = comm;
        Rank = comm?.Rank ?? 0;
        Size = comm?.Size ?? 1;
        LocalRank = localRank;
        LocalSize = localSize;
        Timeout = timeout;
        Deterministic = deterministic;
    }

    /// <summary>This process's index, 0 to <see cref="Size"/> - 1.</summary>
    public int Rank { get; }

    /// <summary>How many processes the run has (the world size).</summary>
    public int Size { get; }

    /// <summary>This process's index among the ranks on its machine.</summary>
    public int LocalRank { get; }

    /// <summary>How many ranks run on this machine.</summary>
    public int LocalSize { get; }

    /// <summary>True on rank 0: the rank that writes checkpoints, plots and logs.</summary>
    public bool IsMain => Rank == 0;

    /// <summary>How long a collective waits for the other ranks before it throws.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Whether sums over ranks are taken in rank order (<see cref="ProcessGroupOptions.Deterministic"/>).</summary>
    public bool Deterministic { get; }

    /// <summary>Whether each collective first checks that every rank joined it with the same shape (<see cref="ProcessGroupOptions.Checked"/>).</summary>
    public bool Checked { get; }

    /// <summary>"mpi" when started by an MPI launcher, "single" otherwise.</summary>
    public string Backend => comm is null ? "single" : "mpi";

    /// <summary>The group <see cref="Init"/> made, or null before it (and after it was disposed).</summary>
    public static ProcessGroup? Current => current;

    /// <summary>
    /// Which MPI the group runs on, as the library names itself (MPI_Get_library_version's first line, e.g.
    /// "Open MPI v4.1.4, ..." or "MPICH Version: 4.0.2"), with the file loaded; null in a one-rank group.
    /// </summary>
    public string? MpiLibraryVersion => mpi is null ? null : $"{mpi.Version} ({mpi.Path})";

    /// <summary>
    /// Whether this process was started by an MPI launcher: Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; MPICH's
    /// mpiexec (hydra), Intel MPI's and Slurm's PMI set PMI_SIZE.
    /// </summary>
    public static bool LaunchedByMpi => LaunchedSize is not null;

    // The world size the launcher announced; the MPI library must agree, else it is not the launcher's MPI.
    static int? LaunchedSize => EnvInt("OMPI_COMM_WORLD_SIZE") ?? EnvInt("PMI_SIZE");

    /// <summary>
    /// Joins the run: under an MPI launcher, loads the system's MPI and initializes it on Nabla's communication thread;
    /// otherwise makes a one-rank group. Once per process; a second call returns the same group.
    /// </summary>
    public static ProcessGroup Init(ProcessGroupOptions? options = null)
    {
        lock (Gate)
        {
            if (current is not null) return current;
            var timeout = options?.Timeout ?? (EnvDouble("NABLA_DIST_TIMEOUT") is double s ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(300));
            if (timeout <= TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(nameof(options), $"ProcessGroup.Init: the timeout must be positive, got {timeout.TotalSeconds} s.");
            bool deterministic = options?.Deterministic ?? Environment.GetEnvironmentVariable("NABLA_DETERMINISTIC") == "1";
            bool isChecked = options?.Checked ?? Environment.GetEnvironmentVariable("NABLA_DIST_CHECKS") != "0";
            // Open MPI's mpirun names the rank's place on its machine OMPI_COMM_WORLD_LOCAL_*, MPICH's hydra MPI_LOCAL*.
            int localRank = EnvInt("OMPI_COMM_WORLD_LOCAL_RANK") ?? EnvInt("MPI_LOCALRANKID") ?? 0;
            int localSize = EnvInt("OMPI_COMM_WORLD_LOCAL_SIZE") ?? EnvInt("MPI_LOCALNRANKS") ?? 1;
            if (!LaunchedByMpi)
                return current = new ProcessGroup(null, null, 0, 1, timeout, deterministic, isChecked);
            if (mpiFinalized)
                throw new DistributedException("ProcessGroup.Init: this process's group was disposed, which finalized MPI, and MPI " +
                    $"cannot start twice in one process; keep one group for the whole run (called at {Engine.CallSite.Describe()}).");
            // Ranks sharing a machine share its cores: unless the count was chosen, each takes its part (torchrun
            // likewise sets OMP_NUM_THREADS), else N ranks would each start a thread per core and fight over them.
            if (localSize > 1 && !Threads.Chosen)
                KernelThreads.Count = Math.Max(1, Environment.ProcessorCount / localSize);
            var mpi = MpiLibrary.Load();
            var comm = new Communicator(mpi, timeout);
            if (LaunchedSize is int launched && launched != comm.Size)
            {
                // Another MPI's library does not see the launcher's ranks: each process would run alone, silently.
                comm.Dispose();
                mpiFinalized = true;
                throw new DistributedException($"ProcessGroup.Init: the launcher started {launched} ranks but {mpi.Abi}'s {mpi.Path} sees " +
                    $"{comm.Size}: the library is not the launcher's MPI. Start the program with the launcher of the MPI that is loaded " +
                    "(Open MPI: mpirun; MPICH: mpiexec.mpich), or set NABLA_MPI_LIBRARY to the launcher's library (libmpi.so.40 for " +
                    $"Open MPI, libmpich.so.12 for MPICH) (called at {Engine.CallSite.Describe()}).");
            }
            current = new ProcessGroup(mpi, comm, localRank, localSize, timeout, deterministic, isChecked);
            // MPI must be finalized before the process exits (mpirun reports an error otherwise), and an exception
            // nobody caught must end every rank at once rather than leave them waiting for this one.
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                // A rank that exits with a failure code (Environment.Exit(3), Main returning 1) ends the others at once;
                // they would otherwise wait in their next collective until the timeout.
                if (Environment.ExitCode != 0)
                {
                    Console.Error.WriteLine($"Nabla.Distributed: rank {comm.Rank} of {comm.Size} exits with code {Environment.ExitCode} and ends the run (MPI_Abort).");
                    Console.Error.Flush();
                    comm.Abort(Environment.ExitCode);
                }
                current?.Dispose();
            };
            AppDomain.CurrentDomain.UnhandledException += (_, e) =>
            {
                Console.Error.WriteLine($"Nabla.Distributed: rank {comm.Rank} of {comm.Size} failed and ends the run (MPI_Abort): {e.ExceptionObject}");
                Console.Error.Flush();
                comm.Abort(1);
            };
            return current;
        }
    }

    /// <summary>Ends every rank of the run at once with <paramref name="exitCode"/> (MPI_Abort); a one-rank group exits.</summary>
    [DoesNotReturn]
    public void Abort(int exitCode = 1)
    {
        comm?.Abort(exitCode);
        Environment.Exit(exitCode);
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Finalizes MPI (after the queued collectives finish). Called at process exit if not before.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (disposed) return;
            disposed = true;
            comm?.Dispose();
            if (comm is not null) mpiFinalized = true;
            if (ReferenceEquals(current, this)) current = null;
        }
    }

    internal MpiLibrary Mpi => mpi ?? throw new InvalidOperationException("internal: no MPI in a one-rank group");

    internal Communicator? Comm => comm;

    void ThrowIfDisposed(string op)
    {
        if (disposed) throw new ObjectDisposedException(nameof(ProcessGroup), $"ProcessGroup.{op}: the group was disposed (MPI is finalized); call it before Dispose.");
    }

    static int? EnvInt(string name) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : null;

    static double? EnvDouble(string name) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
}
