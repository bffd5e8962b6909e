using System.Numerics;
using System.Runtime.InteropServices;
using Nabla.Primitives.Special;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="Erf"/>: float32 on <see cref="FastMath.Erf"/> (in float, a few ulp); float64
/// element by element with <see cref="Erf.Evaluate"/> (within about 1e-15).
/// </summary>
internal readonly struct ErfKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            FastMath.Erf(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
            return;
        }
        for (int i = 0; i < x.Length; i++) y[i] = T.CreateTruncating(Erf.Evaluate(double.CreateTruncating(x[i])));
    }
}

/// <summary>
/// CPU kernel of <see cref="Gelu"/>: float32 in one pass of <see cref="FastMath.Gelu"/> (Φ from erfc(|x|/√2),
/// which keeps the negative tail's relative accuracy); float64 element by element with the composite
/// formula <see cref="Gelu.Evaluate"/>.
/// </summary>
internal readonly struct GeluKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            FastMath.Gelu(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
            return;
        }
        for (int i = 0; i < x.Length; i++)
            y[i] = T.CreateTruncating(Gelu.Evaluate(double.CreateTruncating(x[i])));
    }
}
