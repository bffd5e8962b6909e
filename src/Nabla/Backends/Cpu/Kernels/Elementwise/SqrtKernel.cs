using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Sqrt"/>: the correctly rounded √x, lane by lane.</summary>
internal readonly struct SqrtKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> => SimdDriver.Unary<T, Op<T>>(x, y);

    public readonly struct Op<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        // NB: a double square root rounded to float is the correctly rounded float square root
        // (53 >= 2*24 + 2 bits), so the scalar tail agrees with the vector lanes.
        public static T Invoke(T x) => T.CreateTruncating(Math.Sqrt(double.CreateTruncating(x)));
        public static Vector128<T> Invoke(Vector128<T> x) => Vector128.Sqrt(x);
        public static Vector256<T> Invoke(Vector256<T> x) => Vector256.Sqrt(x);
        public static Vector512<T> Invoke(Vector512<T> x) => Vector512.Sqrt(x);
    }
}
