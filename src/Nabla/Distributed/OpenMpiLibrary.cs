namespace Nabla.Distributed;

/// <summary>
/// Open MPI's ABI (libmpi.so.40): a handle is the address of one of its predefined objects (ompi_mpi_comm_world,
/// ompi_mpi_float, ...), a request is a pointer, and MPI_IN_PLACE, MPI_ANY_SOURCE and MPI_STATUS_IGNORE are the values
/// Nabla passes (1, -1, null), so every call goes straight through.
/// </summary>
internal sealed unsafe class OpenMpiLibrary : MpiLibrary
{
    public override string Abi => "Open MPI";

    readonly delegate* unmanaged<int*, byte***, int, int*, int> initThread;
    readonly delegate* unmanaged<int*, int> initialized;
    readonly delegate* unmanaged<int*, int> finalized;
    readonly delegate* unmanaged<int> finalize;
    readonly delegate* unmanaged<nint, int*, int> commRank;
    readonly delegate* unmanaged<nint, int*, int> commSize;
    readonly delegate* unmanaged<nint, int, int> abort;
    readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> allreduce;
    readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> iallreduce;
    readonly delegate* unmanaged<void*, int, nint, int, nint, nint*, int> ibcast;
    readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, nint*, int> iallgather;
    readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> ireduceScatterBlock;
    readonly delegate* unmanaged<nint, nint*, int> ibarrier;
    readonly delegate* unmanaged<nint*, int*, MpiStatus*, int> test;
    readonly delegate* unmanaged<nint*, int> cancel;
    readonly delegate* unmanaged<nint*, int> requestFree;
    readonly delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int> isend;
    readonly delegate* unmanaged<void*, int, nint, int, int, nint, MpiStatus*, int> recv;
    readonly delegate* unmanaged<int, int, nint, int*, MpiStatus*, int> iprobe;

    public OpenMpiLibrary(string path, nint lib) : base(path, lib)
    {
        CommWorld = Symbol(lib, "ompi_mpi_comm_world");
        Byte = Symbol(lib, "ompi_mpi_byte");
        Int32 = Symbol(lib, "ompi_mpi_int");
        Int64 = Symbol(lib, "ompi_mpi_long_long_int");
        Float32 = Symbol(lib, "ompi_mpi_float");
        Float64 = Symbol(lib, "ompi_mpi_double");
        OpSum = Symbol(lib, "ompi_mpi_op_sum");
        OpMax = Symbol(lib, "ompi_mpi_op_max");
        OpMin = Symbol(lib, "ompi_mpi_op_min");
        OpProd = Symbol(lib, "ompi_mpi_op_prod");
        initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Symbol(lib, "MPI_Init_thread");
        initialized = (delegate* unmanaged<int*, int>)Symbol(lib, "MPI_Initialized");
        finalized = (delegate* unmanaged<int*, int>)Symbol(lib, "MPI_Finalized");
        finalize = (delegate* unmanaged<int>)Symbol(lib, "MPI_Finalize");
        commRank = (delegate* unmanaged<nint, int*, int>)Symbol(lib, "MPI_Comm_rank");
        commSize = (delegate* unmanaged<nint, int*, int>)Symbol(lib, "MPI_Comm_size");
        abort = (delegate* unmanaged<nint, int, int>)Symbol(lib, "MPI_Abort");
        allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Symbol(lib, "MPI_Allreduce");
        iallreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)Symbol(lib, "MPI_Iallreduce");
        ibcast = (delegate* unmanaged<void*, int, nint, int, nint, nint*, int>)Symbol(lib, "MPI_Ibcast");
        iallgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, nint*, int>)Symbol(lib, "MPI_Iallgather");
        ireduceScatterBlock = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)Symbol(lib, "MPI_Ireduce_scatter_block");
        ibarrier = (delegate* unmanaged<nint, nint*, int>)Symbol(lib, "MPI_Ibarrier");
        test = (delegate* unmanaged<nint*, int*, MpiStatus*, int>)Symbol(lib, "MPI_Test");
        cancel = (delegate* unmanaged<nint*, int>)Symbol(lib, "MPI_Cancel");
        requestFree = (delegate* unmanaged<nint*, int>)Symbol(lib, "MPI_Request_free");
        isend = (delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int>)Symbol(lib, "MPI_Isend");
        recv = (delegate* unmanaged<void*, int, nint, int, int, nint, MpiStatus*, int>)Symbol(lib, "MPI_Recv");
        iprobe = (delegate* unmanaged<int, int, nint, int*, MpiStatus*, int>)Symbol(lib, "MPI_Iprobe");
    }

    public override int InitThread(int* argc, byte*** argv, int required, int* provided) => initThread(argc, argv, required, provided);
    public override int Initialized(int* flag) => initialized(flag);
    public override int Finalized(int* flag) => finalized(flag);
    public override int Finalize() => finalize();
    public override int CommRank(nint comm, int* rank) => commRank(comm, rank);
    public override int CommSize(nint comm, int* size) => commSize(comm, size);
    public override int Abort(nint comm, int code) => abort(comm, code);
    public override int Allreduce(void* send, void* receive, int count, nint type, nint op, nint comm) =>
        allreduce(send, receive, count, type, op, comm);
    public override int Iallreduce(void* send, void* receive, int count, nint type, nint op, nint comm, nint* request) =>
        iallreduce(send, receive, count, type, op, comm, request);
    public override int Ibcast(void* buffer, int count, nint type, int root, nint comm, nint* request) =>
        ibcast(buffer, count, type, root, comm, request);
    public override int Iallgather(void* send, int sendCount, nint sendType, void* receive, int receiveCount, nint receiveType, nint comm, nint* request) =>
        iallgather(send, sendCount, sendType, receive, receiveCount, receiveType, comm, request);
    public override int IreduceScatterBlock(void* send, void* receive, int count, nint type, nint op, nint comm, nint* request) =>
        ireduceScatterBlock(send, receive, count, type, op, comm, request);
    public override int Ibarrier(nint comm, nint* request) => ibarrier(comm, request);
    public override int Test(nint* request, int* flag, MpiStatus* status) => test(request, flag, status);
    public override int Cancel(nint* request) => cancel(request);
    public override int RequestFree(nint* request) => requestFree(request);
    public override int Isend(void* buffer, int count, nint type, int destination, int tag, nint comm, nint* request) =>
        isend(buffer, count, type, destination, tag, comm, request);
    public override int Recv(void* buffer, int count, nint type, int source, int tag, nint comm, MpiStatus* status) =>
        recv(buffer, count, type, source, tag, comm, status);
    public override int Iprobe(int source, int tag, nint comm, int* flag, MpiStatus* status) => iprobe(source, tag, comm, flag, status);
}
