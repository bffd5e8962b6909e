using System.Numerics;
using Nabla.Backends;
using Nabla.Engine;

namespace Nabla.Distributed;

public sealed unsafe partial class ProcessGroup
{
    /// <summary>
    /// The element-wise reduction of <paramref name="t"/> over all ranks, on every rank (torch.distributed.all_reduce,
    /// returning a new tensor rather than writing the input). Every rank must pass the same shape and dtype.
    /// Not differentiable: the result does not require grad.
    /// </summary>
    public Tensor AllReduce(Tensor t, ReduceOp op = ReduceOp.Sum)
    {
        var result = Copy(t, "AllReduce");
        AllReduceInPlace(result, op);
        return result;
    }

    /// <summary>
    /// <see cref="AllReduce(Tensor, ReduceOp)"/> written into <paramref name="t"/> (contiguous, not requiring grad), as
    /// torch.distributed.all_reduce does: MPI reads and writes its elements where they lie, without a copy.
    /// </summary>
    public void AllReduceInPlace(Tensor t, ReduceOp op = ReduceOp.Sum)
    {
        CheckInPlace(t, "AllReduceInPlace");
        CheckAverage(t, op, "AllReduce");
        Wait(RunAllReduce(t, op, "AllReduce", checkShapes: true, inline: true), "AllReduce");
    }

    /// <summary>A scalar reduced over all ranks (a metric: loss sums, correct counts), as a double.</summary>
    public double AllReduce(double value, ReduceOp op = ReduceOp.Sum) =>
        AllReduce(Tensor.Full([], value, DType.Float64), op).Item<double>();

    /// <summary>Rank <paramref name="root"/>'s <paramref name="t"/> on every rank (torch.distributed.broadcast, returning a new tensor).</summary>
    public Tensor Broadcast(Tensor t, int root = 0)
    {
        var result = Copy(t, "Broadcast");
        BroadcastInPlace(result, root);
        return result;
    }

    /// <summary>Overwrites <paramref name="t"/> (contiguous) with rank <paramref name="root"/>'s.</summary>
    public void BroadcastInPlace(Tensor t, int root = 0)
    {
        CheckInPlace(t, "BroadcastInPlace");
        CheckRoot(root, "Broadcast");
        if (comm is null) return;
        var c = new Collective("Broadcast", t);
        var pin = Pin(c, t);
        AddShapeCheck(c, t, Opcode.Broadcast, root);
        c.Steps.Add((m => Call(r => m.Ibcast((void*)pin.Address, t.NumElements, Type(t), root, m.CommWorld, (nint*)r), "MPI_Ibcast"), null));
        Wait(comm.RunInline(c), "Broadcast");
    }

    /// <summary>
    /// Every rank's <paramref name="t"/>, concatenated along dim 0 in rank order (torch.distributed.all_gather_into_tensor):
    /// [Size·d₀, d₁, …]; a scalar gives [Size]. Every rank must pass the same shape.
    /// </summary>
    public Tensor AllGather(Tensor t)
    {
        var send = Copy(t, "AllGather");
        int[] shape = t.Rank == 0 ? [Size] : [Size * t.Shape[0], .. t.Shape.ToArray()[1..]];
        if (comm is null) return send.Reshape(shape);
        var result = Tensor.Zeros(shape, t.DType);
        var c = new Collective("AllGather", t);
        var from = Pin(c, send);
        var into = Pin(c, result);
        AddShapeCheck(c, t, Opcode.AllGather, 0);
        AddGather(c, from, into, send);
        Wait(comm.RunInline(c), "AllGather");
        return result;
    }

    /// <summary>
    /// The reduction over ranks of <paramref name="t"/>, of which each rank keeps its own slice along dim 0 (rank r
    /// gets rows r·d₀/Size to (r+1)·d₀/Size; torch.distributed.reduce_scatter_tensor). d₀ must divide by the world size.
    /// </summary>
    public Tensor ReduceScatter(Tensor t, ReduceOp op = ReduceOp.Sum)
    {
        if (t.Rank == 0 || t.Shape[0] % Size != 0)
            throw new ArgumentException($"ProcessGroup.ReduceScatter: dim 0 of {t.Shape} must divide by the world size {Size} " +
                $"(each rank keeps one slice); pad it to a multiple of {Size} (called at {CallSite.Describe()}).", nameof(t));
        CheckAverage(t, op, "ReduceScatter");
        var send = Copy(t, "ReduceScatter");
        if (comm is null) return send;
        int rows = t.Shape[0] / Size;
        var result = Tensor.Zeros([rows, .. t.Shape.ToArray()[1..]], t.DType);
        int count = result.NumElements;
        var c = new Collective("ReduceScatter", t);
        var from = Pin(c, send);
        var into = Pin(c, result);
        AddShapeCheck(c, t, Opcode.ReduceScatter, 0);
        if (Deterministic)
        {
            var gathered = Tensor.Zeros([Size * send.NumElements], t.DType);
            var all = Pin(c, gathered);
            AddGather(c, from, all, send);
            int stride = send.NumElements, offset = Rank * count;
            c.Finish = () => OrderedReduce(t.DType, all.Address, stride, offset, into.Address, count, op);
        }
        else
        {
            c.Steps.Add((m => Call(r => m.IreduceScatterBlock((void*)from.Address, (void*)into.Address, count, Type(t), MpiOp(m, op), m.CommWorld, (nint*)r), "MPI_Ireduce_scatter_block"), null));
            if (op == ReduceOp.Average) c.Finish = () => DivideBySize(t.DType, into.Address, count);
        }
        Wait(comm.RunInline(c), "ReduceScatter");
        return result;
    }

    /// <summary>Returns when every rank has called it (torch.distributed.barrier).</summary>
    public void Barrier()
    {
        ThrowIfDisposed("Barrier");
        if (comm is null) return;
        var c = new Collective("Barrier");
        AddShapeCheck(c, null, Opcode.Barrier, 0);
        c.Steps.Add((m => Call(r => m.Ibarrier(m.CommWorld, (nint*)r), "MPI_Ibarrier"), null));
        Wait(comm.RunInline(c), "Barrier");
    }

    /// <summary>
    /// Starts an in-place all-reduce of a contiguous tensor and returns at once; the task ends when every rank's
    /// contribution is in. Gradient buckets use it during backward (their layout was checked once at set-up, so no
    /// per-call shape check).
    /// </summary>
    internal Task StartAllReduce(Tensor t, ReduceOp op, string name, bool checkShapes) => RunAllReduce(t, op, name, checkShapes, inline: false);

    // inline: the caller waits at once, so the all-reduce may run on its thread (Communicator.RunInline).
    Task RunAllReduce(Tensor t, ReduceOp op, string name, bool checkShapes, bool inline)
    {
        ThrowIfDisposed(name);
        if (comm is null) return Task.CompletedTask;
        var c = new Collective(name, t);
        var pin = Pin(c, t);
        if (checkShapes) AddShapeCheck(c, t, Opcode.AllReduce, (int)op);
        int count = t.NumElements;
        if (Deterministic)
        {
            var gathered = Tensor.Zeros([Size * count], t.DType);
            var all = Pin(c, gathered);
            AddGather(c, pin, all, t);
            c.Finish = () => OrderedReduce(t.DType, all.Address, count, 0, pin.Address, count, op);
        }
        else
        {
            // Open MPI's MPI_Iallreduce (libnbc) took 2 to 10 times as long as the blocking MPI_Allreduce a C program calls
            // (4 KiB: ~40 us against ~10 us; large messages up to 2x; bench/distributed.sh, rows raw and raw_nonblocking).
            // So the data moves with MPI_Allreduce, but only once every rank is known to have joined: the shape check's
            // gather, or (for buckets checked once at set-up) an MPI_Ibarrier of a few microseconds, is waited on with
            // the deadline first, so a rank that never comes still times out naming it. Once all have joined they all
            // enter the same MPI_Allreduce; a rank that crashes inside it ends the run through mpirun.
            // Unchecked (ProcessGroupOptions.Checked = false) there is no gate: the communicator's watchdog bounds the wait.
            if (!checkShapes && Checked) c.Steps.Add((m => Call(r => m.Ibarrier(m.CommWorld, (nint*)r), "MPI_Ibarrier"), null));
            var mpi = Mpi;
            var type = Type(t);
            c.Finish = () =>
            {
                MpiLibrary.Check(mpi.Allreduce((void*)MpiLibrary.InPlace, (void*)pin.Address, count, type, MpiOp(mpi, op), mpi.CommWorld), $"MPI_Allreduce ({name})");
                if (op == ReduceOp.Average) DivideBySize(t.DType, pin.Address, count);
            };
        }
        return inline ? comm.RunInline(c) : comm.Run(c);
    }

    // Every rank's elements of `send`, rank after rank, into `into` (the deterministic reductions gather, then add in order).
    void AddGather(Collective c, HostPin from, HostPin into, Tensor send)
    {
        int count = send.NumElements;
        var type = Type(send);
        c.Steps.Add((m => Call(r => m.Iallgather((void*)from.Address, count, type, (void*)into.Address, count, type, m.CommWorld, (nint*)r), "MPI_Iallgather"), null));
    }

    // Waits on the user's thread; an error from the MPI thread is rethrown here, naming the user's line.
    internal static void Wait(Task task, string op)
    {
        try { task.GetAwaiter().GetResult(); }
        catch (DistributedTimeoutException e) { throw new DistributedTimeoutException($"{e.Message} (called at {CallSite.Describe()})"); }
        catch (DistributedException e) { throw new DistributedException($"{e.Message} (called at {CallSite.Describe()})"); }
    }

    enum Opcode { AllReduce = 1, Broadcast, AllGather, ReduceScatter, Barrier }

    const int HeaderLength = 12;

    // The shape check's buffers (AddShapeCheck), allocated pinned once: MPI keeps their addresses while a step runs.
    readonly long[] headerMine = GC.AllocateArray<long>(HeaderLength, pinned: true);
    long[]? headerGathered;
    long[] HeaderAll => headerGathered ??= GC.AllocateArray<long>(HeaderLength * Size, pinned: true);

    static long* PinnedAddress(long[] pinned) => (long*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(pinned));

    // Every rank sends [opcode, dtype, root or op, rank, numel, d0..d6] and compares all of them with its own before
    // any data moves: a rank that calls a different collective, or the same with another shape or dtype, makes every
    // rank throw the same message listing what each passed, instead of MPI reading past a buffer or hanging.
    // The header is written when the step starts, into buffers the group keeps pinned: collectives run one at a time
    // (the communicator's lock), so one pair serves them all, and a call allocates and pins nothing for its check.
    void AddShapeCheck(Collective c, Tensor? t, Opcode opcode, int argument)
    {
        if (!Checked) return;
        string name = c.Name;
        c.Steps.Add((m =>
        {
            var mine = headerMine;
            mine.AsSpan().Clear();
            mine[0] = (long)opcode;
            mine[1] = t is null ? -1 : (long)t.DType;
            mine[2] = argument;
            mine[3] = t?.Rank ?? -1;
            mine[4] = t?.NumElements ?? 0;
            for (int i = 0; i < 7 && t is not null && i < t.Rank; i++) mine[5 + i] = t.Shape[i];
            long* from = PinnedAddress(mine), into = PinnedAddress(HeaderAll);
            return Call(r => m.Iallgather(from, HeaderLength, m.Int64, into, HeaderLength, m.Int64, m.CommWorld, (nint*)r), "MPI_Iallgather");
        }, () =>
        {
            bool same = true;
            for (int r = 0; r < Size && same; r++)
                same = HeaderAll.AsSpan(r * HeaderLength, HeaderLength).SequenceEqual(headerMine);
            if (same) return;
            var lines = Enumerable.Range(0, Size).Select(r => $"rank {r}: {DescribeHeader(HeaderAll.AsSpan(r * HeaderLength, HeaderLength))}");
            throw new DistributedException($"Nabla.Distributed: {name}: the ranks disagree on what they pass ({string.Join("; ", lines)}). " +
                "Every rank must call the same collectives in the same order, with tensors of one shape and dtype.");
        }));
    }

    static string DescribeHeader(ReadOnlySpan<long> h)
    {
        var op = ((Opcode)h[0]).ToString();
        if (h[1] < 0) return op;
        int rank = (int)h[3];
        var dims = new List<string>();
        for (int i = 0; i < Math.Min(rank, 7); i++) dims.Add(h[5 + i].ToString());
        if (rank > 7) dims.Add("…");
        string arg = (Opcode)h[0] switch
        {
            Opcode.Broadcast => $" from rank {h[2]}",
            Opcode.AllReduce => $" ({(ReduceOp)h[2]})",
            _ => "",
        };
        return $"{op}{arg} of {((DType)h[1]).TorchName()} [{string.Join(", ", dims)}]";
    }

    static nint Call(Func<nint, int> start, string call)
    {
        nint request = 0;
        MpiLibrary.Check(start((nint)(&request)), call);
        return request;
    }

    Tensor Copy(Tensor t, string op)
    {
        ThrowIfDisposed(op);
        CheckDType(t, op);
        return t.Detach().Contiguous().Clone();
    }

    void CheckInPlace(Tensor t, string op)
    {
        ThrowIfDisposed(op);
        CheckDType(t, op);
        if (!t.IsContiguous || t.RequiresGrad || t.Device.Kind is not ("cpu" or "reference"))
            throw new ArgumentException($"ProcessGroup.{op}: the tensor must be a contiguous CPU tensor that does not require grad " +
                $"(got {t.Shape}{(t.IsContiguous ? "" : ", strided")}{(t.RequiresGrad ? ", requires grad" : "")} on {t.Device}); " +
                $"use the returning form ({op.Replace("InPlace", "")}) instead (called at {CallSite.Describe()}).", nameof(t));
    }

    static void CheckDType(Tensor t, string op)
    {
        if (t.DType is not (DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64))
            throw new ArgumentException($"ProcessGroup.{op}: {t.DType.TorchName()} tensors are not supported; convert to int32, int64, " +
                $"float32 or float64 first (called at {CallSite.Describe()}).", nameof(t));
    }

    static void CheckAverage(Tensor t, ReduceOp op, string name)
    {
        if (op == ReduceOp.Average && !t.DType.IsFloating())
            throw new ArgumentException($"ProcessGroup.{name}: ReduceOp.Average needs a float32/float64 tensor, got {t.DType.TorchName()}; " +
                $"use Sum and divide (called at {CallSite.Describe()}).", nameof(op));
    }

    void CheckRoot(int root, string op)
    {
        if (root < 0 || root >= Size)
            throw new ArgumentOutOfRangeException(nameof(root), $"ProcessGroup.{op}: root {root} is not a rank of this {Size}-rank group (called at {CallSite.Describe()}).");
    }

    static HostPin Pin(Collective c, Tensor t)
    {
        var pin = HostPin.TryPin(t) ?? throw new InvalidOperationException("internal: collective buffer is not a contiguous host tensor");
        c.Disposables.Add(pin);
        return pin;
    }

    nint Type(Tensor t) => t.DType switch
    {
        DType.Float32 => Mpi.Float32,
        DType.Float64 => Mpi.Float64,
        DType.Int32 => Mpi.Int32,
        DType.Int64 => Mpi.Int64,
        _ => throw new InvalidOperationException($"internal: no MPI type for {t.DType}"),
    };

    static nint MpiOp(MpiLibrary m, ReduceOp op) => op switch
    {
        ReduceOp.Sum or ReduceOp.Average => m.OpSum,
        ReduceOp.Max => m.OpMax,
        ReduceOp.Min => m.OpMin,
        ReduceOp.Product => m.OpProd,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    void DivideBySize(DType dtype, nint address, int count)
    {
        unsafe
        {
            if (dtype == DType.Float32) Divide(new Span<float>((void*)address, count), Size);
            else Divide(new Span<double>((void*)address, count), Size);
        }
    }

    // Vectorized: a bucket holds millions of elements. Division and addition round each element exactly as the scalar
    // operators do, so the bits do not depend on the vector width.
    static void Divide<T>(Span<T> x, int size) where T : INumber<T> =>
        System.Numerics.Tensors.TensorPrimitives.Divide(x, T.CreateTruncating(size), x);

    // dst = op over ranks r = 0, 1, … of gathered[r·stride + offset .. + count], folded left in rank order.
    unsafe void OrderedReduce(DType dtype, nint gathered, int stride, int offset, nint dst, int count, ReduceOp op)
    {
        switch (dtype)
        {
            case DType.Float32: Fold(new ReadOnlySpan<float>((void*)gathered, stride * Size), stride, offset, new Span<float>((void*)dst, count), op); break;
            case DType.Float64: Fold(new ReadOnlySpan<double>((void*)gathered, stride * Size), stride, offset, new Span<double>((void*)dst, count), op); break;
            case DType.Int32: Fold(new ReadOnlySpan<int>((void*)gathered, stride * Size), stride, offset, new Span<int>((void*)dst, count), op); break;
            default: Fold(new ReadOnlySpan<long>((void*)gathered, stride * Size), stride, offset, new Span<long>((void*)dst, count), op); break;
        }
    }

    void Fold<T>(ReadOnlySpan<T> gathered, int stride, int offset, Span<T> dst, ReduceOp op) where T : INumber<T>
    {
        gathered.Slice(offset, dst.Length).CopyTo(dst);
        for (int r = 1; r < Size; r++)
        {
            var x = gathered.Slice(r * stride + offset, dst.Length);
            if (op is ReduceOp.Sum or ReduceOp.Average)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(dst, x, dst);
                continue;
            }
            for (int i = 0; i < dst.Length; i++)
                dst[i] = op switch
                {
                    ReduceOp.Max => T.Max(dst[i], x[i]),
                    ReduceOp.Min => T.Min(dst[i], x[i]),
                    _ => dst[i] * x[i],
                };
        }
        if (op == ReduceOp.Average) Divide(dst, Size);
    }
}
