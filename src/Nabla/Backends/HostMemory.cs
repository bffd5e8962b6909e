namespace Nabla.Backends;

/// <summary>
/// Raw access to the managed arrays behind host tensors (CPU and reference devices). Only backend code
/// may use these; everything else copies through <see cref="Backend.CopyToHost{T}"/> and
/// <see cref="Backend.CopyFromHost{T}"/> (an architecture test checks it).
/// </summary>
internal static class HostMemory
{
    /// <summary>The backing array, typed. Callers must respect the tensor's offset and strides.</summary>
    public static T[] Data<T>(this Tensor t) where T : unmanaged
    {
#if DEBUG
        // Raw arrays may only be taken inside a RawAccess scope (see BufferPool); tests run Debug builds.
        if (!RawAccess.InScope && !Cpu.CpuWorkers.OnWorker)
            throw new InvalidOperationException("internal: raw storage access outside a RawAccess scope");
#endif
        return ((Storage<T>)t.Storage).Data;
    }

    /// <summary>The elements of a contiguous tensor as a span.</summary>
    public static Span<T> ContiguousSpan<T>(this Tensor t) where T : unmanaged
    {
        if (!t.IsContiguous) throw new InvalidOperationException("internal: ContiguousSpan on a strided tensor");
        return t.Data<T>().AsSpan(t.Offset, t.NumElements);
    }
}
