using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="Primitives.Elementwise.TanhBackward"/>: out = g·(1 - y²), reading g and y once
/// (three eager ops would each read and write the whole tensor).
/// </summary>
internal readonly struct TanhBackwardKernel : IBinaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> g, int sg, ReadOnlySpan<T> y, int sy, Span<T> result) where T : unmanaged, INumber<T> =>
        SimdDriver.Binary<T, Op<T>>(g, sg, y, sy, result);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T g, T y) => g * (T.One - y * y);
        public static Vector128<T> Invoke(Vector128<T> g, Vector128<T> y) => g * (Vector128<T>.One - y * y);
        public static Vector256<T> Invoke(Vector256<T> g, Vector256<T> y) => g * (Vector256<T>.One - y * y);
        public static Vector512<T> Invoke(Vector512<T> g, Vector512<T> y) => g * (Vector512<T>.One - y * y);
    }
}
