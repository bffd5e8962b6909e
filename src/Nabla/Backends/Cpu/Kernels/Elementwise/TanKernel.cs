using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Tan"/> (TensorPrimitives, vectorized per width).</summary>
internal readonly struct TanKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> =>
        FloatKernels.Run(x, y, TensorPrimitives.Tan, TensorPrimitives.Tan);
}
