using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>A 1-D map over a contiguous run of one element type.</summary>
internal delegate void SpanMap<T>(ReadOnlySpan<T> x, Span<T> y);

/// <summary>
/// Routes a generic run to float- or double-specific kernels (e.g. TensorPrimitives' transcendental
/// functions, which need the concrete type). The typeof checks fold away when the JIT specializes.
/// </summary>
internal static class FloatKernels
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y, SpanMap<float> f32, SpanMap<double> f64) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) f32(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
        else if (typeof(T) == typeof(double)) f64(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(y));
        else throw new NotSupportedException($"internal: float kernel called with {typeof(T).Name}");
    }
}
