namespace Nabla.Backends;

/// <summary>
/// A flat buffer of elements that one or more tensors (views) read through their shape, strides and
/// offset. Backends allocate it; it knows nothing of gradients.
/// </summary>
internal abstract class Storage
{
    public abstract DType DType { get; }
    public abstract int Length { get; }
    public abstract Array Array { get; }

    public static Storage Allocate(DType dtype, int length, bool zeroed = true) => dtype switch
    {
        DType.Float32 => new Storage<float>(Alloc<float>(length, zeroed)),
        DType.Float64 => new Storage<double>(Alloc<double>(length, zeroed)),
        DType.Int32 => new Storage<int>(Alloc<int>(length, zeroed)),
        DType.Int64 => new Storage<long>(Alloc<long>(length, zeroed)),
        DType.Bool => new Storage<bool>(Alloc<bool>(length, zeroed)),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    static T[] Alloc<T>(int length, bool zeroed) =>
        zeroed ? new T[length] : GC.AllocateUninitializedArray<T>(length);
}

internal sealed class Storage<T> : Storage where T : unmanaged
{
    public readonly T[] Data;

    public Storage(T[] data) { Data = data; }

    public override DType DType => DTypes.Of<T>();
    public override int Length => Data.Length;
    public override Array Array => Data;
}
