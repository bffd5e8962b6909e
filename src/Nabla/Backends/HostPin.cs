using System.Runtime.InteropServices;

namespace Nabla.Backends;

/// <summary>
/// A contiguous host tensor's elements pinned in place, for code outside the engine that hands memory to a native
/// library (MPI reads and writes a gradient bucket where it lies, without a copy each way). Holds the tensor, so its
/// storage stays alive (and out of the buffer pool) until disposed.
/// </summary>
internal sealed class HostPin : IDisposable
{
    readonly Tensor tensor;
    GCHandle handle;

    HostPin(Tensor tensor, GCHandle handle, nint address)
    {
        this.tensor = tensor;
        this.handle = handle;
        Address = address;
    }

    /// <summary>The first element's address.</summary>
    public nint Address { get; }

    /// <summary>Pins <paramref name="t"/>'s elements, or returns null where they are not one host run (a strided view, another device).</summary>
    public static HostPin? TryPin(Tensor t)
    {
        if (!t.IsContiguous || t.Device.Kind is not ("cpu" or "reference")) return null;
        using var raw = RawAccess.Enter();
        Array data = t.DType switch
        {
            DType.Float32 => t.Data<float>(),
            DType.Float64 => t.Data<double>(),
            DType.Int32 => t.Data<int>(),
            DType.Int64 => t.Data<long>(),
            DType.Bool => t.Data<bool>(),
            _ => throw new NotSupportedException($"internal: HostPin of {t.DType}"),
        };
        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        return new HostPin(t, handle, handle.AddrOfPinnedObject() + (nint)t.Offset * t.DType.ElementSize());
    }

    public void Dispose()
    {
        if (handle.IsAllocated) handle.Free();
        GC.KeepAlive(tensor);
    }
}
