using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernels of <see cref="Primitives.Elementwise.Floor"/>, <see cref="Primitives.Elementwise.Ceil"/>,
/// <see cref="Primitives.Elementwise.Trunc"/> and <see cref="Primitives.Elementwise.Round"/>: the hardware rounding
/// instruction lane by lane (exact, so every path gives the same bits); integers are already whole and are copied.
/// </summary>
internal readonly struct FloorKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> => Rounding<T, Op<T>>.Run(x, y);

    public readonly struct Op<T> : IRounding<T> where T : unmanaged
    {
        public static double Invoke(double x) => Math.Floor(x);
        public static Vector128<double> Invoke(Vector128<double> x) => Vector128.Floor(x);
        public static Vector256<double> Invoke(Vector256<double> x) => Vector256.Floor(x);
        public static Vector512<double> Invoke(Vector512<double> x) => Vector512.Floor(x);
        public static float Invoke(float x) => MathF.Floor(x);
        public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Floor(x);
        public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Floor(x);
        public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Floor(x);
    }
}

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Ceil"/> (see <see cref="FloorKernel"/>).</summary>
internal readonly struct CeilKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> => Rounding<T, Op<T>>.Run(x, y);

    public readonly struct Op<T> : IRounding<T> where T : unmanaged
    {
        public static double Invoke(double x) => Math.Ceiling(x);
        public static Vector128<double> Invoke(Vector128<double> x) => Vector128.Ceiling(x);
        public static Vector256<double> Invoke(Vector256<double> x) => Vector256.Ceiling(x);
        public static Vector512<double> Invoke(Vector512<double> x) => Vector512.Ceiling(x);
        public static float Invoke(float x) => MathF.Ceiling(x);
        public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Ceiling(x);
        public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Ceiling(x);
        public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Ceiling(x);
    }
}

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Trunc"/> (see <see cref="FloorKernel"/>).</summary>
internal readonly struct TruncKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> => Rounding<T, Op<T>>.Run(x, y);

    public readonly struct Op<T> : IRounding<T> where T : unmanaged
    {
        public static double Invoke(double x) => Math.Truncate(x);
        public static Vector128<double> Invoke(Vector128<double> x) => Vector128.Truncate(x);
        public static Vector256<double> Invoke(Vector256<double> x) => Vector256.Truncate(x);
        public static Vector512<double> Invoke(Vector512<double> x) => Vector512.Truncate(x);
        public static float Invoke(float x) => MathF.Truncate(x);
        public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Truncate(x);
        public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Truncate(x);
        public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Truncate(x);
    }
}

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Round"/>: halves to even (see <see cref="FloorKernel"/>).</summary>
internal readonly struct RoundKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> => Rounding<T, Op<T>>.Run(x, y);

    public readonly struct Op<T> : IRounding<T> where T : unmanaged
    {
        public static double Invoke(double x) => Math.Round(x, MidpointRounding.ToEven);
        public static Vector128<double> Invoke(Vector128<double> x) => Vector128.Round(x);
        public static Vector256<double> Invoke(Vector256<double> x) => Vector256.Round(x);
        public static Vector512<double> Invoke(Vector512<double> x) => Vector512.Round(x);
        public static float Invoke(float x) => MathF.Round(x, MidpointRounding.ToEven);
        public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Round(x);
        public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Round(x);
        public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Round(x);
    }
}

/// <summary>A rounding function on float and double, scalar and per vector width (the runtime has no generic form).</summary>
internal interface IRounding<T> where T : unmanaged
{
    static abstract double Invoke(double x);
    static abstract Vector128<double> Invoke(Vector128<double> x);
    static abstract Vector256<double> Invoke(Vector256<double> x);
    static abstract Vector512<double> Invoke(Vector512<double> x);
    static abstract float Invoke(float x);
    static abstract Vector128<float> Invoke(Vector128<float> x);
    static abstract Vector256<float> Invoke(Vector256<float> x);
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>Runs an <see cref="IRounding{T}"/> on a run of T: float and double through the driver, integers copied.</summary>
internal static class Rounding<T, TRound> where T : unmanaged, INumber<T> where TRound : IRounding<T>
{
    public static void Run(ReadOnlySpan<T> x, Span<T> y)
    {
        if (typeof(T) == typeof(float) || typeof(T) == typeof(double)) SimdDriver.Unary<T, Lanes>(x, y);
        else x.CopyTo(y);
    }

    // The typeof tests fold away once the JIT specializes T.
    readonly struct Lanes : IUnaryOp<T>
    {
        public static T Invoke(T x) => typeof(T) == typeof(float) ? (T)(object)TRound.Invoke((float)(object)x) : (T)(object)TRound.Invoke((double)(object)x);
        public static Vector128<T> Invoke(Vector128<T> x) => typeof(T) == typeof(float) ? TRound.Invoke(x.As<T, float>()).As<float, T>() : TRound.Invoke(x.As<T, double>()).As<double, T>();
        public static Vector256<T> Invoke(Vector256<T> x) => typeof(T) == typeof(float) ? TRound.Invoke(x.As<T, float>()).As<float, T>() : TRound.Invoke(x.As<T, double>()).As<double, T>();
        public static Vector512<T> Invoke(Vector512<T> x) => typeof(T) == typeof(float) ? TRound.Invoke(x.As<T, float>()).As<float, T>() : TRound.Invoke(x.As<T, double>()).As<double, T>();
    }
}
