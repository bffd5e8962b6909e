namespace Nabla.Backends;

/// <summary>
/// A flat buffer of elements that one or more tensors (views) read through their shape, strides and
/// offset. Its <see cref="Backend"/> allocated it and is the only code that reads or writes it; it
/// knows nothing of gradients. Host-side storage is a managed array: large ones come from
/// <see cref="BufferPool"/>, and code that touches <see cref="Array"/> directly runs inside a
/// <see cref="RawAccess"/> scope.
/// </summary>
internal abstract class Storage(Backend backend)
{
    /// <summary>The backend that owns this memory (and so the device of every tensor viewing it).</summary>
    public Backend Backend { get; } = backend;

    public abstract DType DType { get; }
    public abstract int Length { get; }
    public abstract Array Array { get; }

    /// <summary>
    /// The most elements one host storage can hold: the largest managed array .NET allows
    /// (<see cref="System.Array.MaxLength"/>, 2^31 - 57), a little under <see cref="Shape.MaxElements"/>.
    /// </summary>
    public static int MaxLength => System.Array.MaxLength;

    /// <summary>
    /// Managed host storage owned by <paramref name="backend"/> (the CPU and reference backends). A length
    /// past <see cref="MaxLength"/>, or memory the runtime cannot give, is an error that says how much was
    /// asked for (front ends check first and name the op; this is the last line).
    /// </summary>
    public static Storage AllocateManaged(Backend backend, DType dtype, int length, bool zeroed)
    {
        if (length < 0 || length > MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length),
                $"a storage of {Size(dtype, length)} is past the {MaxLength} elements one storage can hold.");
        try
        {
            return dtype switch
            {
                DType.Float32 => Storage<float>.Allocate(backend, length, zeroed),
                DType.Float64 => Storage<double>.Allocate(backend, length, zeroed),
                DType.Int32 => Storage<int>.Allocate(backend, length, zeroed),
                DType.Int64 => Storage<long>.Allocate(backend, length, zeroed),
                DType.Bool => Storage<bool>.Allocate(backend, length, zeroed),
                _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
            };
        }
        catch (OutOfMemoryException e) when (e is not StorageOutOfMemoryException)
        {
            throw new StorageOutOfMemoryException(dtype, length, e);
        }
    }

    /// <summary>"<c>1000 float32 elements (4000 bytes, 3.9 KiB)</c>": an allocation's size, for messages.</summary>
    public static string Size(DType dtype, long elements)
    {
        long bytes = elements * dtype.ElementSize();
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        double scaled = bytes;
        int unit = -1;
        while (scaled >= 1024 && unit < units.Length - 1) { scaled /= 1024; unit++; }
        string readable = unit < 0 ? "" : $", {scaled.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} {units[unit]}";
        return $"{elements} {dtype.TorchName()} elements ({bytes} bytes{readable})";
    }
}

/// <summary>
/// The runtime could not give the memory for a storage: says how much was asked for. Front ends catch it
/// and throw one that also names the public op and the shape (<c>Tensor.Zeros</c>...).
/// </summary>
internal sealed class StorageOutOfMemoryException(DType dtype, long elements, Exception? inner)
    : OutOfMemoryException($"not enough memory for a storage of {Storage.Size(dtype, elements)}. Use smaller tensors " +
        "(for instance a smaller batch), free references to large ones, or run on a machine with more memory.", inner)
{
    public DType DType => dtype;
    public long Elements => elements;
}

internal sealed class Storage<T> : Storage where T : unmanaged
{
    public readonly T[] Data;

    // Returns Data to the pool once this storage is unreachable (null for arrays the pool skips).
    readonly PoolLease<T>? lease;

    /// <summary>Adopts <paramref name="data"/> (not copied) as storage of <paramref name="backend"/>.</summary>
    public Storage(Backend backend, T[] data) : base(backend) { Data = data; }

    // The lease tracks this storage itself (not only its own reachability), so the array goes back only
    // once nothing, not even an object awaiting finalization, can reach the storage (see PoolLease).
    Storage(Backend backend, T[] data, bool pooled) : base(backend)
    {
        Data = data;
        if (pooled) lease = new PoolLease<T>(data, this);
    }

    public static Storage<T> Allocate(Backend backend, int length, bool zeroed)
    {
        if (!BufferPool<T>.Pools(length))
            return new Storage<T>(backend, zeroed ? new T[length] : GC.AllocateUninitializedArray<T>(length));
        var data = BufferPool<T>.Rent(length);
        if (zeroed) System.Array.Clear(data);
        return new Storage<T>(backend, data, pooled: true);
    }

    public override DType DType => DTypes.Of<T>();
    public override int Length => Data.Length;
    public override Array Array
    {
        get
        {
#if DEBUG
            if (!RawAccess.InScope && !Cpu.CpuWorkers.OnWorker)
                throw new InvalidOperationException("internal: raw storage access outside a RawAccess scope");
#endif
            return Data;
        }
    }
}
