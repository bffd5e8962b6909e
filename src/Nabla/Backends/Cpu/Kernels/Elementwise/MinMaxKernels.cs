using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="Primitives.Elementwise.Maximum"/>: y = max(a, b), NaN in either input gives
/// NaN (IEEE 754:2019 maximum, as T.Max and VectorN.Max).
/// </summary>
internal readonly struct MaximumKernel : IBinaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) where T : unmanaged, INumber<T> =>
        SimdDriver.Binary<T, Op<T>>(a, sa, b, sb, y);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T a, T b) => T.Max(a, b);
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);
    }
}

/// <summary>
/// CPU kernel of <see cref="Primitives.Elementwise.Minimum"/>: y = min(a, b), NaN in either input gives
/// NaN (IEEE 754:2019 minimum, as T.Min and VectorN.Min).
/// </summary>
internal readonly struct MinimumKernel : IBinaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) where T : unmanaged, INumber<T> =>
        SimdDriver.Binary<T, Op<T>>(a, sa, b, sb, y);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T a, T b) => T.Min(a, b);
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => Vector128.Min(a, b);
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.Min(a, b);
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => Vector512.Min(a, b);
    }
}
