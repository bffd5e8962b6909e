using Nabla.Backends.Cpu.Kernels;
using Nabla.Primitives;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The host CPU: managed arrays (pooled when large, see <see cref="BufferPool"/>) and the SIMD,
/// multi-core kernels registered in <see cref="CpuKernels"/>.
/// </summary>
internal sealed class CpuBackend() : Backend(Device.Cpu)
{
    public static readonly CpuBackend Instance = new();

    readonly KernelTable kernels = CpuKernels.Build();


    /// <summary>The registered kernels (tests list them).</summary>
    public KernelTable Kernels => kernels;

    public override Storage Allocate(DType dtype, int length, bool zeroed) => Storage.AllocateManaged(this, dtype, length, zeroed);

    /// <summary>A tensor whose storage is <paramref name="data"/> itself (row-major, <paramref name="shape"/>).</summary>
    public Tensor Adopt<T>(T[] data, Shape shape) where T : unmanaged
    {
        if (data.Length != shape.NumElements) throw new ArgumentException($"internal: {data.Length} elements for shape {shape}");
        return new Tensor(new Storage<T>(this, data), shape);
    }

    public override KernelEntry? Find(Primitive op, DType dtype) => kernels.Find(op.GetType(), dtype);

    // Contiguous tensors (nearly every host copy) are one span copy; only views walk their strides.
    public override void CopyToHost<T>(Tensor src, T[] dst, int start)
    {
        if (src.NumElements == 0) return;
        if (!src.IsContiguous) { CopyKernel.CopyInto(src, dst, start); return; }
        using (RawAccess.Enter()) src.ContiguousSpan<T>().CopyTo(dst.AsSpan(start));
    }

    public override void CopyFromHost<T>(ReadOnlySpan<T> src, Tensor dst)
    {
        if (src.Length == 0) return;
        if (!dst.IsContiguous) { CopyKernel.CopyFrom(dst, src); return; }
        using (RawAccess.Enter()) src.CopyTo(dst.ContiguousSpan<T>());
    }
}

/// <summary>Allocation for CPU kernels: a fresh contiguous CPU tensor.</summary>
internal static class CpuTensor
{
    public static Tensor Empty(DType dtype, Shape shape, bool zeroed = false) => CpuBackend.Instance.Empty(dtype, shape, zeroed);
}
