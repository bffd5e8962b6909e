using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>An elementwise binary operator: one scalar form and one per vector width.</summary>
internal interface IBinaryOp<T> where T : unmanaged
{
    static abstract T Invoke(T a, T b);
    static abstract Vector128<T> Invoke(Vector128<T> a, Vector128<T> b);
    static abstract Vector256<T> Invoke(Vector256<T> a, Vector256<T> b);
    static abstract Vector512<T> Invoke(Vector512<T> a, Vector512<T> b);
}

/// <summary>An elementwise unary operator: one scalar form and one per vector width.</summary>
internal interface IUnaryOp<T> where T : unmanaged
{
    static abstract T Invoke(T x);
    static abstract Vector128<T> Invoke(Vector128<T> x);
    static abstract Vector256<T> Invoke(Vector256<T> x);
    static abstract Vector512<T> Invoke(Vector512<T> x);
}

/// <summary>
/// 1-D drivers in the TensorPrimitives pattern: the widest accelerated vector width, then narrower
/// widths, then a scalar tail. Operands with stride 0 are broadcast scalars.
/// </summary>
internal static class SimdDriver
{
    public static void Unary<T, TOp>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged where TOp : IUnaryOp<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                TOp.Invoke(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                TOp.Invoke(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
            for (; i <= n - Vector128<T>.Count; i += Vector128<T>.Count)
                TOp.Invoke(Vector128.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = TOp.Invoke(Unsafe.Add(ref xr, i));
    }

    /// <summary><paramref name="strideA"/>/<paramref name="strideB"/> are 1 (a run) or 0 (a broadcast scalar).</summary>
    public static void Binary<T, TOp>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, Span<T> y)
        where T : unmanaged where TOp : IBinaryOp<T>
    {
        if (strideA == 1 && strideB == 1) BinaryVV<T, TOp>(a, b, y);
        else if (strideA == 1 && strideB == 0) BinaryVS<T, TOp>(a, b[0], y);
        else if (strideA == 0 && strideB == 1) BinarySV<T, TOp>(a[0], b, y);
        else
        {
            // Both broadcast (a scalar result repeated) or a general stride: scalar loop.
            for (int i = 0, ia = 0, ib = 0; i < y.Length; i++, ia += strideA, ib += strideB)
                y[i] = TOp.Invoke(a[ia], b[ib]);
        }
    }

    static void BinaryVV<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged where TOp : IBinaryOp<T>
    {
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T yr = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                TOp.Invoke(Vector512.LoadUnsafe(ref ar, (nuint)i), Vector512.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                TOp.Invoke(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
            for (; i <= n - Vector128<T>.Count; i += Vector128<T>.Count)
                TOp.Invoke(Vector128.LoadUnsafe(ref ar, (nuint)i), Vector128.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = TOp.Invoke(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i));
    }

    static void BinaryVS<T, TOp>(ReadOnlySpan<T> a, T b, Span<T> y)
        where T : unmanaged where TOp : IBinaryOp<T>
    {
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T yr = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var bv = Vector512.Create(b);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                TOp.Invoke(Vector512.LoadUnsafe(ref ar, (nuint)i), bv).StoreUnsafe(ref yr, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var bv = Vector256.Create(b);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                TOp.Invoke(Vector256.LoadUnsafe(ref ar, (nuint)i), bv).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref yr, i) = TOp.Invoke(Unsafe.Add(ref ar, i), b);
    }

    static void BinarySV<T, TOp>(T a, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged where TOp : IBinaryOp<T>
    {
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T yr = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var av = Vector512.Create(a);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                TOp.Invoke(av, Vector512.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var av = Vector256.Create(a);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                TOp.Invoke(av, Vector256.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref yr, i) = TOp.Invoke(a, Unsafe.Add(ref br, i));
    }
}
