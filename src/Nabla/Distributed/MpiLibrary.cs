using System.Runtime.InteropServices;

namespace Nabla.Distributed;

/// <summary>
/// The system's MPI library (Open MPI's libmpi.so.40), loaded at run time through <see cref="NativeLibrary"/>: Nabla
/// has no build-time native dependency, and a program that never starts a process group never loads it. Only the
/// calls Nabla makes are bound, as unmanaged function pointers (the same cost as a call from C). Handles are Open
/// MPI's: the addresses of its predefined objects (ompi_mpi_comm_world, ompi_mpi_float, ...).
/// </summary>
internal sealed unsafe class MpiLibrary
{
    public const int ThreadSerialized = 2;   // MPI_THREAD_SERIALIZED in Open MPI's mpi.h
    public const int AnySource = -1;
    public static readonly nint InPlace = 1;  // MPI_IN_PLACE

    /// <summary>Where Nabla looks, in order; NABLA_MPI_LIBRARY names another file.</summary>
    public static readonly string[] Candidates = ["libmpi.so.40", "libmpi.so", "/usr/lib/x86_64-linux-gnu/libmpi.so.40", "/usr/lib/aarch64-linux-gnu/libmpi.so.40"];

    public readonly string Path;
    public readonly nint CommWorld, Byte, Int32, Int64, Float32, Float64, OpSum, OpMax, OpMin, OpProd;

    public readonly delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int*, int> CommRank;
    public readonly delegate* unmanaged<nint, int*, int> CommSize;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> Iallreduce;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, nint*, int> Ibcast;
    public readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, nint*, int> Iallgather;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> IreduceScatterBlock;
    public readonly delegate* unmanaged<nint, nint*, int> Ibarrier;
    public readonly delegate* unmanaged<nint*, int*, MpiStatus*, int> Test;
    public readonly delegate* unmanaged<nint*, int> Cancel;
    public readonly delegate* unmanaged<nint*, int> RequestFree;
    public readonly delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int> Isend;
    public readonly delegate* unmanaged<void*, int, nint, int, int, nint, MpiStatus*, int> Recv;
    public readonly delegate* unmanaged<int, int, nint, int*, MpiStatus*, int> Iprobe;

    MpiLibrary(string path, nint lib)
    {
        Path = path;
        nint Sym(string name) => NativeLibrary.TryGetExport(lib, name, out var address) ? address
            : throw new DistributedException($"Nabla.Distributed: {path} has no symbol {name}: it is not Open MPI 4 or later " +
                "(Nabla binds Open MPI's ABI). Install Debian's openmpi-bin and libopenmpi-dev, or set NABLA_MPI_LIBRARY to Open MPI's libmpi.so.40.");
        CommWorld = Sym("ompi_mpi_comm_world");
        Byte = Sym("ompi_mpi_byte");
        Int32 = Sym("ompi_mpi_int");
        Int64 = Sym("ompi_mpi_long_long_int");
        Float32 = Sym("ompi_mpi_float");
        Float64 = Sym("ompi_mpi_double");
        OpSum = Sym("ompi_mpi_op_sum");
        OpMax = Sym("ompi_mpi_op_max");
        OpMin = Sym("ompi_mpi_op_min");
        OpProd = Sym("ompi_mpi_op_prod");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Sym("MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Sym("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Sym("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Sym("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Sym("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Sym("MPI_Comm_size");
        Abort = (delegate* unmanaged<nint, int, int>)Sym("MPI_Abort");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Sym("MPI_Allreduce");
        Iallreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)Sym("MPI_Iallreduce");
        Ibcast = (delegate* unmanaged<void*, int, nint, int, nint, nint*, int>)Sym("MPI_Ibcast");
        Iallgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, nint*, int>)Sym("MPI_Iallgather");
        IreduceScatterBlock = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)Sym("MPI_Ireduce_scatter_block");
        Ibarrier = (delegate* unmanaged<nint, nint*, int>)Sym("MPI_Ibarrier");
        Test = (delegate* unmanaged<nint*, int*, MpiStatus*, int>)Sym("MPI_Test");
        Cancel = (delegate* unmanaged<nint*, int>)Sym("MPI_Cancel");
        RequestFree = (delegate* unmanaged<nint*, int>)Sym("MPI_Request_free");
        Isend = (delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int>)Sym("MPI_Isend");
        Recv = (delegate* unmanaged<void*, int, nint, int, int, nint, MpiStatus*, int>)Sym("MPI_Recv");
        Iprobe = (delegate* unmanaged<int, int, nint, int*, MpiStatus*, int>)Sym("MPI_Iprobe");
    }

    /// <summary>Loads the library, or throws saying how to install it.</summary>
    public static MpiLibrary Load()
    {
        var named = Environment.GetEnvironmentVariable("NABLA_MPI_LIBRARY");
        string[] tried = string.IsNullOrEmpty(named) ? Candidates : [named];
        foreach (var path in tried)
            if (NativeLibrary.TryLoad(path, out var lib))
            {
                // Open MPI loads its plugins (shared memory, TCP) with dlopen and needs libmpi's symbols global;
                // .NET opens libraries RTLD_LOCAL, so the plugins would fail to resolve them. Reopen it global.
                Promote(path);
                return new MpiLibrary(path, lib);
            }
        throw new DistributedException(
            $"Nabla.Distributed: no MPI library found (tried {string.Join(", ", tried)}). This process was started as one of " +
            "several ranks, so it needs MPI: install Open MPI (Debian/Ubuntu: sudo apt install openmpi-bin libopenmpi-dev), or set " +
            "NABLA_MPI_LIBRARY to the path of Open MPI's libmpi.so.40.");
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

/// <summary>Open MPI's MPI_Status (source, tag, error, cancelled, count), read only for source and tag.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MpiStatus
{
    public int Source, Tag, Error, Cancelled;
    public nuint Count;
}
