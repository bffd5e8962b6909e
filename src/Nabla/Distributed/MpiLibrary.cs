using System.Runtime.InteropServices;

namespace Nabla.Distributed;

/// <summary>
/// The system's MPI library, loaded at run time through <see cref="NativeLibrary"/>: Nabla has no build-time native
/// dependency, and a program that never starts a process group never loads it. Two ABIs exist on Linux clusters:
/// Open MPI's (libmpi.so.40: handles are addresses of its predefined objects) and MPICH's (libmpich.so.12, shared by
/// Intel MPI, MVAPICH and Cray MPICH: handles are C ints with fixed values). <see cref="OpenMpiLibrary"/> and
/// <see cref="MpichLibrary"/> bind each as unmanaged function pointers (the cost of a call from C) behind the one
/// set of calls below, so the communicator and the collectives never ask which is loaded.
/// Handles are carried as <see cref="nint"/> in both; the markers (<see cref="InPlace"/>, <see cref="AnySource"/>,
/// a null status for MPI_STATUS_IGNORE) are Open MPI's values, and each ABI's calls pass its own.
/// </summary>
internal abstract unsafe class MpiLibrary
{
    public const int ThreadSerialized = 2;   // MPI_THREAD_SERIALIZED: 2 in both Open MPI's and MPICH's mpi.h
    public const int AnySource = -1;         // MPI_ANY_SOURCE as Nabla passes it (MPICH's is -2; its -1 is MPI_PROC_NULL)
    public static readonly nint InPlace = 1; // MPI_IN_PLACE as Nabla passes it (MPICH's is -1)

    /// <summary>Open MPI's library names, tried in order under Open MPI's mpirun.</summary>
    public static readonly string[] OpenMpiCandidates =
        ["libmpi.so.40", "libmpi.so", "/usr/lib/x86_64-linux-gnu/libmpi.so.40", "/usr/lib/aarch64-linux-gnu/libmpi.so.40"];

    /// <summary>MPICH-ABI library names (MPICH; libmpi.so.12 is Intel MPI's and MVAPICH's), tried under a PMI launcher (hydra's mpiexec).</summary>
    public static readonly string[] MpichCandidates =
        ["libmpich.so.12", "libmpi.so.12", "/usr/lib/x86_64-linux-gnu/libmpich.so.12", "/usr/lib/aarch64-linux-gnu/libmpich.so.12"];

    /// <summary>The file that was loaded.</summary>
    public string Path { get; }

    /// <summary>"Open MPI" or "MPICH" (the ABI).</summary>
    public abstract string Abi { get; }

    /// <summary>The first line of MPI_Get_library_version ("MPICH Version: 4.0.2", "Open MPI v4.1.4, ...").</summary>
    public string Version { get; }

    public nint CommWorld { get; protected init; }
    public nint Byte { get; protected init; }
    public nint Int32 { get; protected init; }
    public nint Int64 { get; protected init; }
    public nint Float32 { get; protected init; }
    public nint Float64 { get; protected init; }
    public nint OpSum { get; protected init; }
    public nint OpMax { get; protected init; }
    public nint OpMin { get; protected init; }
    public nint OpProd { get; protected init; }

    public abstract int InitThread(int* argc, byte*** argv, int required, int* provided);
    public abstract int Initialized(int* flag);
    public abstract int Finalized(int* flag);
    public abstract int Finalize();
    public abstract int CommRank(nint comm, int* rank);
    public abstract int CommSize(nint comm, int* size);
    public abstract int Abort(nint comm, int code);
    public abstract int Allreduce(void* send, void* receive, int count, nint type, nint op, nint comm);
    public abstract int Iallreduce(void* send, void* receive, int count, nint type, nint op, nint comm, nint* request);
    public abstract int Ibcast(void* buffer, int count, nint type, int root, nint comm, nint* request);
    public abstract int Iallgather(void* send, int sendCount, nint sendType, void* receive, int receiveCount, nint receiveType, nint comm, nint* request);
    public abstract int IreduceScatterBlock(void* send, void* receive, int count, nint type, nint op, nint comm, nint* request);
    public abstract int Ibarrier(nint comm, nint* request);
    public abstract int Test(nint* request, int* flag, MpiStatus* status);
    public abstract int Cancel(nint* request);
    public abstract int RequestFree(nint* request);
    public abstract int Isend(void* buffer, int count, nint type, int destination, int tag, nint comm, nint* request);
    public abstract int Recv(void* buffer, int count, nint type, int source, int tag, nint comm, MpiStatus* status);
    public abstract int Iprobe(int source, int tag, nint comm, int* flag, MpiStatus* status);

    protected MpiLibrary(string path, nint lib)
    {
        Path = path;
        // MPI_Get_library_version may be called before MPI_Init (MPI-3); MPICH's string is up to 8192 bytes.
        var getVersion = (delegate* unmanaged<byte*, int*, int>)Symbol(lib, "MPI_Get_library_version");
        var text = new byte[8192];
        int length;
        fixed (byte* p = text) Check(getVersion(p, &length), "MPI_Get_library_version");
        var first = System.Text.Encoding.UTF8.GetString(text, 0, Math.Clamp(length, 0, text.Length)).Split('\n')[0];
        Version = string.Join(' ', first.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));   // MPICH's has a tab

    }

    /// <summary>A symbol of the loaded library, or an error saying the library is not a whole MPI.</summary>
    protected nint Symbol(nint lib, string name) => NativeLibrary.TryGetExport(lib, name, out var address) ? address
        : throw new DistributedException($"Nabla.Distributed: {Path} has no symbol {name}, so it is not a complete {Abi} library. " +
            "Install Open MPI (Debian/Ubuntu: sudo apt install openmpi-bin libopenmpi-dev) or MPICH (sudo apt install mpich libmpich-dev), " +
            "or point NABLA_MPI_LIBRARY at the launcher's own libmpi.so.40 or libmpich.so.12.");

    /// <summary>Which launcher started this process, read from the variables it sets.</summary>
    public enum Launcher { None, OpenMpi, Pmi }

    /// <summary>Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; MPICH's hydra (mpiexec.mpich), Intel MPI and Slurm's PMI set PMI_SIZE.</summary>
    public static Launcher LaunchedBy() =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"), out _) ? Launcher.OpenMpi
        : int.TryParse(Environment.GetEnvironmentVariable("PMI_SIZE"), out _) ? Launcher.Pmi
        : Launcher.None;

    /// <summary>
    /// Loads the MPI that matches the launcher (Open MPI's under mpirun, the MPICH ABI under a PMI launcher), or the
    /// file NABLA_MPI_LIBRARY names (its ABI told by its symbols); throws saying what to install.
    /// </summary>
    public static MpiLibrary Load()
    {
        var named = Environment.GetEnvironmentVariable("NABLA_MPI_LIBRARY");
        var launcher = LaunchedBy();
        string[] tried = !string.IsNullOrEmpty(named) ? [named] : launcher == Launcher.Pmi ? MpichCandidates : OpenMpiCandidates;
        foreach (var path in tried)
            if (NativeLibrary.TryLoad(path, out var lib))
            {
                // Open MPI loads its plugins (shared memory, TCP) with dlopen and needs libmpi's symbols global;
                // .NET opens libraries RTLD_LOCAL, so the plugins would fail to resolve them. Reopen it global.
                Promote(path);
                return Bind(path, lib);
            }
        string install = !string.IsNullOrEmpty(named) ? "check NABLA_MPI_LIBRARY, or unset it to let Nabla pick the launcher's library"
            : launcher == Launcher.Pmi
                ? "this process was started by a PMI launcher (PMI_SIZE is set: MPICH's mpiexec, Intel MPI or Slurm), so it needs an " +
                  "MPICH-ABI library: install MPICH (Debian/Ubuntu: sudo apt install mpich libmpich-dev), or set NABLA_MPI_LIBRARY to " +
                  "the launcher's libmpich.so.12 or libmpi.so.12"
                : "this process was started by Open MPI's mpirun (OMPI_COMM_WORLD_SIZE is set), so it needs Open MPI's library: install " +
                  "Open MPI (Debian/Ubuntu: sudo apt install openmpi-bin libopenmpi-dev), or set NABLA_MPI_LIBRARY to its libmpi.so.40";
        throw new DistributedException($"Nabla.Distributed: no MPI library found (tried {string.Join(", ", tried)}); {install}.");
    }

    // The ABI is told by the symbols, not the file name: Open MPI exports its predefined objects; an MPI library
    // without them is taken to be of MPICH's ABI (the only other one in use).
    static MpiLibrary Bind(string path, nint lib)
    {
        if (NativeLibrary.TryGetExport(lib, "ompi_mpi_comm_world", out _)) return new OpenMpiLibrary(path, lib);
        if (NativeLibrary.TryGetExport(lib, "MPI_Init_thread", out _)) return new MpichLibrary(path, lib);
        throw new DistributedException($"Nabla.Distributed: {path} is not an MPI library (it exports neither ompi_mpi_comm_world, as Open MPI " +
            "does, nor MPI_Init_thread). Point NABLA_MPI_LIBRARY at Open MPI's libmpi.so.40 or MPICH's libmpich.so.12, or unset it.");
    }

    const int RtldNow = 2, RtldGlobal = 0x100, RtldNoLoad = 4;

    [DllImport("libc", EntryPoint = "dlopen")]
    static extern nint DlOpen(string file, int mode);

    static void Promote(string path) => DlOpen(path, RtldNow | RtldGlobal | RtldNoLoad);

    /// <summary>Throws naming the call when an MPI function returned an error code.</summary>
    public static void Check(int code, string call)
    {
        if (code != 0) throw new DistributedException($"Nabla.Distributed: {call} failed with MPI error code {code}.");
    }
}

/// <summary>
/// MPI_Status as Nabla reads it (source, tag, error). Laid out as Open MPI's (source, tag, error, cancelled, count),
/// which is passed to it directly; <see cref="MpichLibrary"/> copies the fields from MPICH's own layout.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MpiStatus
{
    public int Source, Tag, Error, Cancelled;
    public nuint Count;
}
