using Nabla.Primitives;

namespace Nabla.Backends;

/// <summary>
/// What runs on one device: it owns that device's storage (allocation, copies to and from host memory)
/// and a kernel for each primitive (and dtype) it supports. It knows nothing of gradients or graphs:
/// <see cref="Engine.Dispatch"/> picks the backend from the inputs' device, asks it for the kernel, and
/// does the recording itself.
/// </summary>
internal abstract class Backend(Device device)
{
    /// <summary>The device whose tensors this backend holds.</summary>
    public Device Device { get; } = device;

    /// <summary>New storage for <paramref name="length"/> elements (zeroed on request).</summary>
    public abstract Storage Allocate(DType dtype, int length, bool zeroed);

    /// <summary>The kernel that runs <paramref name="op"/> on inputs of <paramref name="dtype"/>, or null when there is none.</summary>
    public abstract KernelEntry? Find(Primitive op, DType dtype);

    /// <summary>Copies the elements of <paramref name="src"/> (any strides) row-major into host memory at <paramref name="start"/>.</summary>
    public abstract void CopyToHost<T>(Tensor src, T[] dst, int start) where T : unmanaged;

    /// <summary>Writes row-major host elements into <paramref name="dst"/> (any strides, no overlap with <paramref name="src"/>).</summary>
    public abstract void CopyFromHost<T>(ReadOnlySpan<T> src, Tensor dst) where T : unmanaged;

    /// <summary>
    /// Runs a kernel and returns its output 0 (a backend may compute every op as an array of outputs, as
    /// the reference backend does).
    /// </summary>
    public virtual Tensor Run(KernelEntry kernel, Primitive op, Tensor[] x)
    {
        // Kernels hold raw arrays: the scope keeps the buffer pool from reusing any of them meanwhile.
        using (RawAccess.Enter()) return kernel.Single is { } single ? single(op, x) : kernel.Many!(op, x)[0];
    }

    /// <summary>Whether this thread is inside a kernel (a raw-access scope): code there is the backend's, never the user's.</summary>
    public static bool RunningKernel => RawAccess.InScope;

    /// <summary>
    /// Runs a kernel's <see cref="KernelEntry.Into"/> form into <paramref name="y"/>; false (nothing written) when
    /// it has none or <paramref name="y"/> does not fit, and the caller then runs <see cref="Run"/>.
    /// </summary>
    public virtual bool RunInto(KernelEntry kernel, Primitive op, Tensor[] x, Tensor y)
    {
        if (kernel.Into is not { } into) return false;
        using (RawAccess.Enter()) return into(op, x, y);
    }

    /// <summary>Runs a kernel and returns every output.</summary>
    public virtual Tensor[] RunMany(KernelEntry kernel, Primitive op, Tensor[] x)
    {
        using (RawAccess.Enter()) return kernel.Many is { } many ? many(op, x) : [kernel.Single!(op, x)];
    }

    /// <summary>Runs a kernel's <see cref="KernelEntry.ManyInto"/> form; null (nothing written) when it has none or a given tensor does not fit.</summary>
    public virtual Tensor[]? RunManyInto(KernelEntry kernel, Primitive op, Tensor[] x, Tensor?[] into)
    {
        if (kernel.ManyInto is not { } many) return null;
        using (RawAccess.Enter()) return many(op, x, into);
    }

    /// <summary>Runs a write kernel (it changes the inputs <see cref="Primitive.Writes"/> names).</summary>
    public virtual void RunWrite(KernelEntry kernel, Primitive op, Tensor[] x)
    {
        if (kernel.Write is null) throw new InvalidOperationException($"internal: {op.Name} is not a write op");
        using (RawAccess.Enter()) kernel.Write(op, x);
    }

    /// <summary>Copies <paramref name="src"/> into <paramref name="dst"/> (same shape and dtype, maybe another backend) through host memory.</summary>
    public static void CopyAcross(Tensor src, Tensor dst)
    {
        switch (src.DType)
        {
            case DType.Float32: CopyAcross<float>(src, dst); break;
            case DType.Float64: CopyAcross<double>(src, dst); break;
            case DType.Int32: CopyAcross<int>(src, dst); break;
            case DType.Int64: CopyAcross<long>(src, dst); break;
            case DType.Bool: CopyAcross<bool>(src, dst); break;
        }
    }

    static void CopyAcross<T>(Tensor src, Tensor dst) where T : unmanaged
    {
        var host = new T[src.NumElements];
        src.Storage.Backend.CopyToHost(src, host, 0);
        dst.Storage.Backend.CopyFromHost<T>(host, dst);
    }

    /// <summary>A CPU tensor whose memory is <paramref name="owned"/> itself (the caller gives the array up).</summary>
    public static Tensor AdoptHost<T>(T[] owned, Shape shape) where T : unmanaged => Cpu.CpuBackend.Instance.Adopt(owned, shape);

    /// <summary>A fresh contiguous tensor on this backend.</summary>
    public Tensor Empty(DType dtype, Shape shape, bool zeroed = false) => new(Allocate(dtype, shape.NumElements, zeroed), shape);

    /// <summary>A fresh contiguous tensor kept for good (a compiled graph's buffer): not paced as the pool's handouts (<see cref="BufferPool.ForKeeps"/>).</summary>
    public Tensor EmptyForKeeps(DType dtype, Shape shape)
    {
        using (BufferPool.ForKeeps()) return Empty(dtype, shape);
    }

    /// <summary>
    /// Before <paramref name="bytes"/> are rented for keeps: when that is many megabytes (an eighth of the pool's
    /// limit), brings dead storages' arrays back to the pool first (<see cref="BufferPool.Reclaim"/>).
    /// </summary>
    public static void ReclaimBeforeKeeping(long bytes)
    {
        if (bytes >= BufferPool.LimitBytes / 8) BufferPool.Reclaim();
    }

    /// <summary>The backend of a device (one instance each).</summary>
    public static Backend For(Device device) =>
        device.Equals(Device.Cpu) ? Cpu.CpuBackend.Instance
        : device.Equals(Device.Reference) ? Reference.ReferenceBackend.Instance
        : throw new NotSupportedException($"no backend for device {device} in this build");

    /// <summary>Every backend of this build (the backend tests run over these).</summary>
    public static IReadOnlyList<Backend> All => [Cpu.CpuBackend.Instance, Reference.ReferenceBackend.Instance];
}
