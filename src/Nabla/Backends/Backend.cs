using Nabla.Primitives;

namespace Nabla.Backends;

/// <summary>
/// What runs on one device: it owns that device's storage (allocation, copies to and from host memory)
/// and a kernel for each primitive (and dtype) it supports. It knows nothing of gradients or graphs:
/// <see cref="Engine.Dispatch"/> picks the backend from the inputs' device, asks it for the kernel, and
/// does the recording itself.
/// </summary>
internal abstract class Backend
{
    /// <summary>The device whose tensors this backend holds.</summary>
    public abstract Device Device { get; }

    /// <summary>New storage for <paramref name="length"/> elements (zeroed on request).</summary>
    public abstract Storage Allocate(DType dtype, int length, bool zeroed);

    /// <summary>The kernel that runs <paramref name="op"/> on inputs of <paramref name="dtype"/>, or null when there is none.</summary>
    public abstract KernelEntry? Find(Primitive op, DType dtype);

    /// <summary>Copies the elements of <paramref name="src"/> (any strides) row-major into host memory at <paramref name="start"/>.</summary>
    public abstract void CopyToHost<T>(Tensor src, T[] dst, int start) where T : unmanaged;

    /// <summary>Writes row-major host elements into <paramref name="dst"/> (any strides, no overlap with <paramref name="src"/>).</summary>
    public abstract void CopyFromHost<T>(ReadOnlySpan<T> src, Tensor dst) where T : unmanaged;

    /// <summary>A fresh contiguous tensor on this backend.</summary>
    public Tensor Empty(DType dtype, Shape shape, bool zeroed = false) => new(Allocate(dtype, shape.NumElements, zeroed), shape);

    /// <summary>The backend of a device (one instance each).</summary>
    public static Backend For(Device device) =>
        device.Equals(Device.Cpu) ? Cpu.CpuBackend.Instance
        : device.Equals(Device.Reference) ? Reference.ReferenceBackend.Instance
        : throw new NotSupportedException($"no backend for device {device} in this build");

    /// <summary>Every backend of this build (the backend tests run over these).</summary>
    public static IReadOnlyList<Backend> All => [Cpu.CpuBackend.Instance, Reference.ReferenceBackend.Instance];
}
