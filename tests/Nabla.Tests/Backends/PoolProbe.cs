using System.Runtime.CompilerServices;
using Nabla.Backends;
using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>Shared steps of the storage-pool tests: force a collection, and see which array a tensor got.</summary>
internal static class PoolProbe
{
    public static void CollectAndFinalize()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    // In their own frames so the JIT cannot keep the tensor alive in a caller's register.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float[] DropFilledTensor(int length, float value)
    {
        var t = Tensor.Full([length], value);
        using (RawAccess.Enter()) return t.Data<float>();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float[] NewArray(int length)
    {
        var t = CpuTensor.Empty(DType.Float32, new Shape(length));
        using (RawAccess.Enter()) return t.Data<float>();
    }
}
