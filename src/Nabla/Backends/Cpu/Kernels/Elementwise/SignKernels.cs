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
