using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>An associative reduction: its binary form (scalar and vector) plus the value of an empty reduction.</summary>
internal interface IReduceOp<T> : IBinaryOp<T> where T : unmanaged
{
    static abstract T Identity { get; }
}

/// <summary>Sum, max and min as reduce ops. Max and min propagate NaN (as PyTorch): any NaN gives NaN.</summary>
internal static class ReduceOps
{
    public readonly struct Sum<T> : IReduceOp<T> where T : unmanaged, INumber<T>
    {
        public static T Identity => T.Zero;
        public static T Invoke(T a, T b) => a + b;
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a + b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a + b;
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a + b;
    }

    /// <summary>Identity is -inf for floats and the minimum value for integers.</summary>
    public readonly struct Max<T> : IReduceOp<T> where T : unmanaged, INumber<T>
    {
        public static T Identity => T.CreateSaturating(double.NegativeInfinity);
        public static T Invoke(T a, T b) => T.Max(a, b);
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);
    }

    /// <summary>Identity is +inf for floats and the maximum value for integers.</summary>
    public readonly struct Min<T> : IReduceOp<T> where T : unmanaged, INumber<T>
    {
        public static T Identity => T.CreateSaturating(double.PositiveInfinity);
        public static T Invoke(T a, T b) => T.Min(a, b);
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => Vector128.Min(a, b);
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.Min(a, b);
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => Vector512.Min(a, b);
    }
}

/// <summary>
/// Reduces one contiguous run in a fixed order for a given machine: four accumulators of the
/// widest accelerated width, combined pairwise, folded lane by lane from lane 0, then the scalar tail.
/// </summary>
internal static class RowReducer
{
    public static T Reduce<T, TOp>(ReadOnlySpan<T> x) where T : unmanaged where TOp : IReduceOp<T>
    {
        if (x.Length == 0) return TOp.Identity;
        ref T r = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        T result;
        bool started = false;
        result = TOp.Identity;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && n >= 4 * Vector512<T>.Count)
        {
            int w = Vector512<T>.Count;
            var a0 = Vector512.LoadUnsafe(ref r, 0); var a1 = Vector512.LoadUnsafe(ref r, (nuint)w);
            var a2 = Vector512.LoadUnsafe(ref r, (nuint)(2 * w)); var a3 = Vector512.LoadUnsafe(ref r, (nuint)(3 * w));
            for (i = 4 * w; i <= n - 4 * w; i += 4 * w)
            {
                a0 = TOp.Invoke(a0, Vector512.LoadUnsafe(ref r, (nuint)i));
                a1 = TOp.Invoke(a1, Vector512.LoadUnsafe(ref r, (nuint)(i + w)));
                a2 = TOp.Invoke(a2, Vector512.LoadUnsafe(ref r, (nuint)(i + 2 * w)));
                a3 = TOp.Invoke(a3, Vector512.LoadUnsafe(ref r, (nuint)(i + 3 * w)));
            }
            result = Fold<T, TOp>(TOp.Invoke(TOp.Invoke(a0, a1), TOp.Invoke(a2, a3)));
            started = true;
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= 4 * Vector256<T>.Count)
        {
            int w = Vector256<T>.Count;
            var a0 = Vector256.LoadUnsafe(ref r, 0); var a1 = Vector256.LoadUnsafe(ref r, (nuint)w);
            var a2 = Vector256.LoadUnsafe(ref r, (nuint)(2 * w)); var a3 = Vector256.LoadUnsafe(ref r, (nuint)(3 * w));
            for (i = 4 * w; i <= n - 4 * w; i += 4 * w)
            {
                a0 = TOp.Invoke(a0, Vector256.LoadUnsafe(ref r, (nuint)i));
                a1 = TOp.Invoke(a1, Vector256.LoadUnsafe(ref r, (nuint)(i + w)));
                a2 = TOp.Invoke(a2, Vector256.LoadUnsafe(ref r, (nuint)(i + 2 * w)));
                a3 = TOp.Invoke(a3, Vector256.LoadUnsafe(ref r, (nuint)(i + 3 * w)));
            }
            var v = TOp.Invoke(TOp.Invoke(a0, a1), TOp.Invoke(a2, a3));
            result = v[0];
            for (int l = 1; l < w; l++) result = TOp.Invoke(result, v[l]);
            started = true;
        }
        if (!started) { result = r; i = 1; }
        for (; i < n; i++) result = TOp.Invoke(result, Unsafe.Add(ref r, i));
        return result;
    }

    static T Fold<T, TOp>(Vector512<T> v) where T : unmanaged where TOp : IReduceOp<T>
    {
        T result = v[0];
        for (int l = 1; l < Vector512<T>.Count; l++) result = TOp.Invoke(result, v[l]);
        return result;
    }
}
