using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Neg"/>: y = -x, lane by lane.</summary>
internal readonly struct NegKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> => SimdDriver.Unary<T, Op<T>>(x, y);

    public readonly struct Op<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T x) => -x;
        public static Vector128<T> Invoke(Vector128<T> x) => -x;
        public static Vector256<T> Invoke(Vector256<T> x) => -x;
        public static Vector512<T> Invoke(Vector512<T> x) => -x;
    }
}

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Abs"/>: y = |x| (|int.MinValue| wraps, as in two's complement).</summary>
internal readonly struct AbsKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> => SimdDriver.Unary<T, Op<T>>(x, y);

    public readonly struct Op<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T x) => T.Abs(x);
        public static Vector128<T> Invoke(Vector128<T> x) => Vector128.Abs(x);
        public static Vector256<T> Invoke(Vector256<T> x) => Vector256.Abs(x);
        public static Vector512<T> Invoke(Vector512<T> x) => Vector512.Abs(x);
    }
}

/// <summary>
/// CPU kernel of <see cref="Primitives.Elementwise.Sign"/>: (x &gt; 0) - (x &lt; 0) in x's type, and NaN where x is NaN
/// (x == x is false only there, so integers never take that lane).
/// </summary>
internal readonly struct SignKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> => SimdDriver.Unary<T, Op<T>>(x, y);

    public readonly struct Op<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T x) => T.IsNaN(x) ? x : x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero;

        public static Vector128<T> Invoke(Vector128<T> x) => Vector128.ConditionalSelect(Vector128.Equals(x, x),
            (Vector128.GreaterThan(x, Vector128<T>.Zero) & Vector128<T>.One) - (Vector128.LessThan(x, Vector128<T>.Zero) & Vector128<T>.One), x);

        public static Vector256<T> Invoke(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.Equals(x, x),
            (Vector256.GreaterThan(x, Vector256<T>.Zero) & Vector256<T>.One) - (Vector256.LessThan(x, Vector256<T>.Zero) & Vector256<T>.One), x);

        public static Vector512<T> Invoke(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.Equals(x, x),
            (Vector512.GreaterThan(x, Vector512<T>.Zero) & Vector512<T>.One) - (Vector512.LessThan(x, Vector512<T>.Zero) & Vector512<T>.One), x);
    }
}
