namespace Nabla.Backends;

/// <summary>
/// A flat buffer of elements that one or more tensors (views) read through their shape, strides and
/// offset. Backends allocate it; it knows nothing of gradients. Large buffers come from
/// <see cref="BufferPool"/>; code that touches <see cref="Array"/> directly runs inside a
/// <see cref="RawAccess"/> scope.
/// </summary>
internal abstract class Storage
{
    public abstract DType DType { get; }
    public abstract int Length { get; }
    public abstract Array Array { get; }

    public static Storage Allocate(DType dtype, int length, bool zeroed = true) => dtype switch
    {
        DType.Float32 => Storage<float>.Allocate(length, zeroed),
        DType.Float64 => Storage<double>.Allocate(length, zeroed),
        DType.Int32 => Storage<int>.Allocate(length, zeroed),
        DType.Int64 => Storage<long>.Allocate(length, zeroed),
        DType.Bool => Storage<bool>.Allocate(length, zeroed),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };
}

internal sealed class Storage<T> : Storage where T : unmanaged
{
    public readonly T[] Data;

    // Returns Data to the pool once this storage is unreachable (null for arrays the pool skips).
    readonly PoolLease<T>? lease;

    public Storage(T[] data) { Data = data; }

    Storage(T[] data, PoolLease<T> lease) { Data = data; this.lease = lease; }

    public static Storage<T> Allocate(int length, bool zeroed)
    {
        if (!BufferPool<T>.Pools(length))
            return new Storage<T>(zeroed ? new T[length] : GC.AllocateUninitializedArray<T>(length));
        var data = BufferPool<T>.Rent(length);
        if (zeroed) System.Array.Clear(data);
        return new Storage<T>(data, new PoolLease<T>(data));
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
