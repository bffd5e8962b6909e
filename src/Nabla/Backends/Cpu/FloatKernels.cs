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
    /// <summary>
    /// Runs shorter than this are computed in a zero-padded buffer of this length. TensorPrimitives computes a span
    /// shorter than one 128-bit vector with the scalar Math function, whose result can differ from its vector
    /// lanes' by an ulp; where a run is cut (threads, strided walks) must never change an element's value.
    /// </summary>
    public const int MinRun = 16;

    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y, SpanMap<float> f32, SpanMap<double> f64) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Whole(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y), f32);
        else if (typeof(T) == typeof(double)) Whole(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(y), f64);
        else throw new NotSupportedException($"internal: float kernel called with {typeof(T).Name}");
    }

    /// <summary>
    /// y = f(x), with a run shorter than <see cref="MinRun"/> padded with copies of its first element (in the same
    /// range as the run's elements, where <see cref="LaneMath"/> sorted them by range).
    /// </summary>
    public static void Whole<F>(ReadOnlySpan<F> x, Span<F> y, SpanMap<F> f) where F : unmanaged
    {
        if (y.Length >= MinRun) { f(x, y); return; }
        Span<F> xs = stackalloc F[MinRun], ys = stackalloc F[MinRun];
        if (y.IsEmpty) return;
        xs.Fill(x[0]);
        x.CopyTo(xs);
        f(xs, ys);
        ys[..y.Length].CopyTo(y);
    }
}
