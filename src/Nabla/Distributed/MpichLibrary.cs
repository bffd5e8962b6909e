using System.Runtime.InteropServices;

namespace Nabla.Distributed;

/// <summary>
/// MPICH's ABI (libmpich.so.12; Intel MPI, MVAPICH and Cray MPICH share it): MPI_Comm, MPI_Datatype, MPI_Op and
/// MPI_Request are C ints, the predefined ones fixed numbers in mpi.h, so they are passed as 32-bit arguments and a
/// request is written through an int*. The markers differ from Open MPI's (MPI_IN_PLACE is (void*)-1, MPI_ANY_SOURCE
/// -2, MPI_STATUS_IGNORE (MPI_Status*)1) and MPI_Status has its own layout; each call below translates Nabla's.
/// The values are those of MPICH 4.0's mpi.h (Debian's libmpich-dev 4.0.2), unchanged since MPICH 3.
/// </summary>
internal sealed unsafe class MpichLibrary : MpiLibrary
{
    public override string Abi => "MPICH";

    const int CommWorldHandle = 0x44000000;
    const int ByteHandle = 0x4c00010d, IntHandle = 0x4c000405, LongLongHandle = 0x4c000809, FloatHandle = 0x4c00040a, DoubleHandle = 0x4c00080b;
    const int MaxHandle = 0x58000001, MinHandle = 0x58000002, SumHandle = 0x58000003, ProdHandle = 0x58000004;
    const int MpichAnySource = -2;
    static readonly void* MpichInPlace = (void*)-1;
    static readonly MpichStatus* MpichStatusIgnore = (MpichStatus*)1;

    /// <summary>MPICH's MPI_Status: the count split in two ints (the high one also holds the cancelled bit), then source, tag, error.</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct MpichStatus
    {
        public int CountLow, CountHighAndCancelled, Source, Tag, Error;
    }

    readonly delegate* unmanaged<int*, byte***, int, int*, int> initThread;
    readonly delegate* unmanaged<int*, int> initialized;
    readonly delegate* unmanaged<int*, int> finalized;
    readonly delegate* unmanaged<int> finalize;
    readonly delegate* unmanaged<int, int*, int> commRank;
    readonly delegate* unmanaged<int, int*, int> commSize;
    readonly delegate* unmanaged<int, int, int> abort;
    readonly delegate* unmanaged<void*, void*, int, int, int, int, int> allreduce;
    readonly delegate* unmanaged<void*, void*, int, int, int, int, int*, int> iallreduce;
    readonly delegate* unmanaged<void*, int, int, int, int, int*, int> ibcast;
    readonly delegate* unmanaged<void*, int, int, void*, int, int, int, int*, int> iallgather;
    readonly delegate* unmanaged<void*, void*, int, int, int, int, int*, int> ireduceScatterBlock;
    readonly delegate* unmanaged<int, int*, int> ibarrier;
    readonly delegate* unmanaged<int*, int*, MpichStatus*, int> test;
    readonly delegate* unmanaged<int*, int> cancel;
    readonly delegate* unmanaged<int*, int> requestFree;
    readonly delegate* unmanaged<void*, int, int, int, int, int, int*, int> isend;
    readonly delegate* unmanaged<void*, int, int, int, int, int, MpichStatus*, int> recv;
    readonly delegate* unmanaged<int, int, int, int*, MpichStatus*, int> iprobe;

    public MpichLibrary(string path, nint lib) : base(path, lib)
    {
        CommWorld = CommWorldHandle;
        Byte = ByteHandle;
        Int32 = IntHandle;
        Int64 = LongLongHandle;
        Float32 = FloatHandle;
        Float64 = DoubleHandle;
        OpSum = SumHandle;
        OpMax = MaxHandle;
        OpMin = MinHandle;
        OpProd = ProdHandle;
        initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Symbol(lib, "MPI_Init_thread");
        initialized = (delegate* unmanaged<int*, int>)Symbol(lib, "MPI_Initialized");
        finalized = (delegate* unmanaged<int*, int>)Symbol(lib, "MPI_Finalized");
        finalize = (delegate* unmanaged<int>)Symbol(lib, "MPI_Finalize");
        commRank = (delegate* unmanaged<int, int*, int>)Symbol(lib, "MPI_Comm_rank");
        commSize = (delegate* unmanaged<int, int*, int>)Symbol(lib, "MPI_Comm_size");
        abort = (delegate* unmanaged<int, int, int>)Symbol(lib, "MPI_Abort");
        allreduce = (delegate* unmanaged<void*, void*, int, int, int, int, int>)Symbol(lib, "MPI_Allreduce");
        iallreduce = (delegate* unmanaged<void*, void*, int, int, int, int, int*, int>)Symbol(lib, "MPI_Iallreduce");
        ibcast = (delegate* unmanaged<void*, int, int, int, int, int*, int>)Symbol(lib, "MPI_Ibcast");
        iallgather = (delegate* unmanaged<void*, int, int, void*, int, int, int, int*, int>)Symbol(lib, "MPI_Iallgather");
        ireduceScatterBlock = (delegate* unmanaged<void*, void*, int, int, int, int, int*, int>)Symbol(lib, "MPI_Ireduce_scatter_block");
        ibarrier = (delegate* unmanaged<int, int*, int>)Symbol(lib, "MPI_Ibarrier");
        test = (delegate* unmanaged<int*, int*, MpichStatus*, int>)Symbol(lib, "MPI_Test");
        cancel = (delegate* unmanaged<int*, int>)Symbol(lib, "MPI_Cancel");
        requestFree = (delegate* unmanaged<int*, int>)Symbol(lib, "MPI_Request_free");
        isend = (delegate* unmanaged<void*, int, int, int, int, int, int*, int>)Symbol(lib, "MPI_Isend");
        recv = (delegate* unmanaged<void*, int, int, int, int, int, MpichStatus*, int>)Symbol(lib, "MPI_Recv");
        iprobe = (delegate* unmanaged<int, int, int, int*, MpichStatus*, int>)Symbol(lib, "MPI_Iprobe");
    }

    // Handles travel as nint; MPICH's are ints (some negative, e.g. requests): the round trip through nint keeps every bit.
    static int H(nint handle) => (int)handle;

    static void* Send(void* buffer) => buffer == (void*)InPlace ? MpichInPlace : buffer;

    static int Source(int source) => source == AnySource ? MpichAnySource : source;

    static void Copy(in MpichStatus from, MpiStatus* to)
    {
        to->Source = from.Source;
        to->Tag = from.Tag;
        to->Error = from.Error;
    }

    public override int InitThread(int* argc, byte*** argv, int required, int* provided) => initThread(argc, argv, required, provided);
    public override int Initialized(int* flag) => initialized(flag);
    public override int Finalized(int* flag) => finalized(flag);
    public override int Finalize() => finalize();
    public override int CommRank(nint comm, int* rank) => commRank(H(comm), rank);
    public override int CommSize(nint comm, int* size) => commSize(H(comm), size);
    public override int Abort(nint comm, int code) => abort(H(comm), code);

    public override int Allreduce(void* send, void* receive, int count, nint type, nint op, nint comm) =>
        allreduce(Send(send), receive, count, H(type), H(op), H(comm));

    public override int Iallreduce(void* send, void* receive, int count, nint type, nint op, nint comm, nint* request)
    {
        int r;
        int code = iallreduce(Send(send), receive, count, H(type), H(op), H(comm), &r);
        *request = r;
        return code;
    }

    public override int Ibcast(void* buffer, int count, nint type, int root, nint comm, nint* request)
    {
        int r;
        int code = ibcast(buffer, count, H(type), root, H(comm), &r);
        *request = r;
        return code;
    }

    public override int Iallgather(void* send, int sendCount, nint sendType, void* receive, int receiveCount, nint receiveType, nint comm, nint* request)
    {
        int r;
        int code = iallgather(Send(send), sendCount, H(sendType), receive, receiveCount, H(receiveType), H(comm), &r);
        *request = r;
        return code;
    }

    public override int IreduceScatterBlock(void* send, void* receive, int count, nint type, nint op, nint comm, nint* request)
    {
        int r;
        int code = ireduceScatterBlock(Send(send), receive, count, H(type), H(op), H(comm), &r);
        *request = r;
        return code;
    }

    public override int Ibarrier(nint comm, nint* request)
    {
        int r;
        int code = ibarrier(H(comm), &r);
        *request = r;
        return code;
    }

    public override int Test(nint* request, int* flag, MpiStatus* status)
    {
        int r = H(*request);
        MpichStatus s = default;
        int code = test(&r, flag, status is null ? MpichStatusIgnore : &s);
        *request = r;   // MPI_REQUEST_NULL once complete
        if (status is not null && *flag != 0) Copy(s, status);
        return code;
    }

    public override int Cancel(nint* request)
    {
        int r = H(*request);
        int code = cancel(&r);
        *request = r;
        return code;
    }

    public override int RequestFree(nint* request)
    {
        int r = H(*request);
        int code = requestFree(&r);
        *request = r;
        return code;
    }

    public override int Isend(void* buffer, int count, nint type, int destination, int tag, nint comm, nint* request)
    {
        int r;
        int code = isend(buffer, count, H(type), destination, tag, H(comm), &r);
        *request = r;
        return code;
    }

    public override int Recv(void* buffer, int count, nint type, int source, int tag, nint comm, MpiStatus* status)
    {
        MpichStatus s = default;
        int code = recv(buffer, count, H(type), Source(source), tag, H(comm), status is null ? MpichStatusIgnore : &s);
        if (status is not null) Copy(s, status);
        return code;
    }

    public override int Iprobe(int source, int tag, nint comm, int* flag, MpiStatus* status)
    {
        MpichStatus s = default;
        int code = iprobe(Source(source), tag, H(comm), flag, status is null ? MpichStatusIgnore : &s);
        if (status is not null && *flag != 0) Copy(s, status);
        return code;
    }
}
