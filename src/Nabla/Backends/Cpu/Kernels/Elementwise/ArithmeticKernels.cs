using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Add"/>: y = a + b, lane by lane.</summary>
internal readonly struct AddKernel : IBinaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) where T : unmanaged, INumber<T> =>
        SimdDriver.Binary<T, Op<T>>(a, sa, b, sb, y);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T a, T b) => a + b;
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a + b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a + b;
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a + b;
    }
}

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Sub"/>: y = a - b, lane by lane.</summary>
internal readonly struct SubKernel : IBinaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) where T : unmanaged, INumber<T> =>
        SimdDriver.Binary<T, Op<T>>(a, sa, b, sb, y);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T a, T b) => a - b;
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a - b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a - b;
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a - b;
    }
}

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Mul"/>: y = a * b, lane by lane.</summary>
internal readonly struct MulKernel : IBinaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) where T : unmanaged, INumber<T> =>
        SimdDriver.Binary<T, Op<T>>(a, sa, b, sb, y);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T a, T b) => a * b;
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a * b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a * b;
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a * b;
    }
}

/// <summary>CPU kernel of <see cref="Primitives.Elementwise.Div"/>: y = a / b, lane by lane (floating dtypes only).</summary>
internal readonly struct DivKernel : IBinaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) where T : unmanaged, INumber<T> =>
        SimdDriver.Binary<T, Op<T>>(a, sa, b, sb, y);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T a, T b) => a / b;
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a / b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a / b;
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a / b;
    }
}
