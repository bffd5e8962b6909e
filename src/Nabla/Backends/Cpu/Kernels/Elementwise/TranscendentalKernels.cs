using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="Primitives.Elementwise.Exp"/>: float32 on <see cref="FastMath.Exp"/> (computed in
/// float, within 1 ulp), float64 on TensorPrimitives (<see cref="LaneMath"/>).
/// </summary>
internal readonly struct ExpKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> =>
        FloatKernels.Run(x, y, FastMath.Exp, LaneMath.Exp);
}

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Log"/> (TensorPrimitives).</summary>
internal readonly struct LogKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> =>
        FloatKernels.Run(x, y, TensorPrimitives.Log, TensorPrimitives.Log);
}

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Sin"/>.</summary>
internal readonly struct SinKernel : IUnaryKernel
{
    // TensorPrimitives vectorizes sin per float/double width (the same code as Vector512.Sin).
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> =>
        FloatKernels.Run(x, y, LaneMath.Sin, LaneMath.Sin);
}

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Cos"/>.</summary>
internal readonly struct CosKernel : IUnaryKernel
{
    // TensorPrimitives vectorizes cos per float/double width (the same code as Vector512.Cos).
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> =>
        FloatKernels.Run(x, y, LaneMath.Cos, LaneMath.Cos);
}

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Tan"/>.</summary>
internal readonly struct TanKernel : IUnaryKernel
{
    // TensorPrimitives vectorizes tan per float/double width.
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> =>
        FloatKernels.Run(x, y, LaneMath.Tan, LaneMath.Tan);
}

/// <summary>
/// CPU kernel of <see cref="Primitives.Elementwise.Tanh"/>: float32 on <see cref="FastMath.Tanh"/> (computed
/// in float, saturates to ±1 exactly), float64 on TensorPrimitives (<see cref="LaneMath"/>).
/// </summary>
internal readonly struct TanhKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> =>
        FloatKernels.Run(x, y, FastMath.Tanh, LaneMath.Tanh);
}

/// <summary>
/// CPU kernel of <see cref="Primitives.Elementwise.Sigmoid"/>: with e = e^(-|x|) ≤ 1, 1/(1 + e) for x ≥ 0
/// and e/(1 + e) below, so no exponential overflows. float32 on <see cref="FastMath.Sigmoid"/>, float64 on
/// TensorPrimitives' exp.
/// </summary>
internal readonly struct SigmoidKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> =>
        FloatKernels.Run(x, y, FastMath.Sigmoid, Float64);

    static void Float64(ReadOnlySpan<double> x, Span<double> y)
    {
        // y is a fresh output run, never x, so it can hold e = e^(-|x|) on the way.
        TensorPrimitives.Abs(x, y);
        TensorPrimitives.Negate(y, y);
        LaneMath.Exp<double>(y, y);
        for (int i = 0; i < y.Length; i++) y[i] = (x[i] >= 0 ? 1 : y[i]) / (1 + y[i]);
    }
}
