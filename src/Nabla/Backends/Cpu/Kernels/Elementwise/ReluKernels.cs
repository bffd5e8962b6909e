using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="Primitives.Elementwise.Relu"/>: x where x &gt; 0 or x is NaN, else +0, in one
/// vector pass.
/// </summary>
internal readonly struct ReluKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> => SimdDriver.Unary<T, Op<T>>(x, y);

    // Vector: x != x only for NaN (Equals(x, x) is false), so NaN is kept.
    public readonly struct Op<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T x) => x > T.Zero || T.IsNaN(x) ? x : T.Zero;
        public static Vector128<T> Invoke(Vector128<T> x) =>
            Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero) | ~Vector128.Equals(x, x), x, Vector128<T>.Zero);
        public static Vector256<T> Invoke(Vector256<T> x) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero) | ~Vector256.Equals(x, x), x, Vector256<T>.Zero);
        public static Vector512<T> Invoke(Vector512<T> x) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero) | ~Vector512.Equals(x, x), x, Vector512<T>.Zero);
    }
}

/// <summary>
/// CPU kernel of <see cref="Primitives.Elementwise.ReluBackward"/>: out = g where r &gt; 0 or r is NaN, else
/// 0 (a NaN in g passes where the mask is open and is dropped elsewhere), in one vector pass.
/// </summary>
internal readonly struct ReluBackwardKernel : IBinaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> g, int sg, ReadOnlySpan<T> r, int sr, Span<T> y) where T : unmanaged, INumber<T> =>
        SimdDriver.Binary<T, Op<T>>(g, sg, r, sr, y);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T g, T r) => r > T.Zero || T.IsNaN(r) ? g : T.Zero;
        public static Vector128<T> Invoke(Vector128<T> g, Vector128<T> r) =>
            Vector128.ConditionalSelect(Vector128.GreaterThan(r, Vector128<T>.Zero) | ~Vector128.Equals(r, r), g, Vector128<T>.Zero);
        public static Vector256<T> Invoke(Vector256<T> g, Vector256<T> r) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(r, Vector256<T>.Zero) | ~Vector256.Equals(r, r), g, Vector256<T>.Zero);
        public static Vector512<T> Invoke(Vector512<T> g, Vector512<T> r) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(r, Vector512<T>.Zero) | ~Vector512.Equals(r, r), g, Vector512<T>.Zero);
    }
}
