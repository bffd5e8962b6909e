using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>The vector operations of <see cref="GemmDot{T, TV, TOps}"/>, for one vector width.</summary>
internal interface IDotVector<T, TV> where T : unmanaged where TV : struct
{
    static abstract int Count { get; }
    static abstract TV Load(ref T source);
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    /// <summary>The lanes' sum, in the one fixed order of the width's reduction.</summary>
    static abstract T Sum(TV v);
}

internal readonly struct DotVec512<T> : IDotVector<T, Vector512<T>> where T : unmanaged
{
    public static int Count => Vector512<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(ref T s) => Vector512.LoadUnsafe(ref s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector512<T> v) => Vector512.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) =>
        GemmVec512<T>.MultiplyAdd(a, b, c);
}

internal readonly struct DotVec256<T> : IDotVector<T, Vector256<T>> where T : unmanaged
{
    public static int Count => Vector256<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(ref T s) => Vector256.LoadUnsafe(ref s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector256<T> v) => Vector256.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) =>
        GemmVec256<T>.MultiplyAdd(a, b, c);
}

internal readonly struct DotVec128<T> : IDotVector<T, Vector128<T>> where T : unmanaged
{
    public static int Count => Vector128<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Load(ref T s) => Vector128.LoadUnsafe(ref s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector128<T> v) => Vector128.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c) =>
        GemmVec128<T>.MultiplyAdd(a, b, c);
}

/// <summary>
/// C[m, n] = A[m, kc] · B[kc, n] as m·n dot products, for the layout of a weight gradient
/// (gy · colsᵀ): A's rows and B's columns both contiguous along k. Reads the operands in place (no
/// packing: with a small output, packing would cost as much as the multiply-adds) in tiles of 4 rows
/// x 3 columns, 12 vector accumulators over k, each reduced once at the end; a k tail shorter than a
/// vector is added in scalar, in order. Rows and columns past the edge repeat the last one and are
/// not stored. Each output element's arithmetic depends only on kc, so the bits never depend on
/// which thread runs which chunk.
/// </summary>
internal static class GemmDot<T, TV, TOps>
    where T : unmanaged, INumber<T> where TV : struct where TOps : IDotVector<T, TV>
{
    const int TileM = 4, TileN = 3;

    /// <summary>A at aOff + i*rsA + p, B at bOff + j*csB + p; C row-major at cOff with row stride ldc.</summary>
    public static void Run(T[] a, int aOff, int rsA, T[] b, int bOff, int csB, T[] c, int cOff, int ldc, int m, int kc, int n)
    {
        // B's tile (3 x kc) stays in L1 while every row tile of A streams past it from L2.
        for (int j0 = 0; j0 < n; j0 += TileN)
            for (int i0 = 0; i0 < m; i0 += TileM)
                Tile(a, aOff, rsA, b, bOff, csB, c, cOff, ldc, m, kc, n, i0, j0);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile(T[] a, int aOff, int rsA, T[] b, int bOff, int csB, T[] c, int cOff, int ldc,
        int m, int kc, int n, int i0, int j0)
    {
        int w = TOps.Count;
        ref T aRef = ref MemoryMarshal.GetArrayDataReference(a);
        ref T bRef = ref MemoryMarshal.GetArrayDataReference(b);
        ref T a0 = ref Unsafe.Add(ref aRef, aOff + (nint)i0 * rsA);
        ref T a1 = ref Unsafe.Add(ref aRef, aOff + (nint)Math.Min(i0 + 1, m - 1) * rsA);
        ref T a2 = ref Unsafe.Add(ref aRef, aOff + (nint)Math.Min(i0 + 2, m - 1) * rsA);
        ref T a3 = ref Unsafe.Add(ref aRef, aOff + (nint)Math.Min(i0 + 3, m - 1) * rsA);
        ref T b0 = ref Unsafe.Add(ref bRef, bOff + (nint)j0 * csB);
        ref T b1 = ref Unsafe.Add(ref bRef, bOff + (nint)Math.Min(j0 + 1, n - 1) * csB);
        ref T b2 = ref Unsafe.Add(ref bRef, bOff + (nint)Math.Min(j0 + 2, n - 1) * csB);
        TV c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        TV c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        nint p = 0;
        for (; p <= kc - w; p += w)
        {
            TV y0 = TOps.Load(ref Unsafe.Add(ref b0, p)), y1 = TOps.Load(ref Unsafe.Add(ref b1, p)), y2 = TOps.Load(ref Unsafe.Add(ref b2, p));
            TV x = TOps.Load(ref Unsafe.Add(ref a0, p));
            c00 = TOps.MultiplyAdd(x, y0, c00); c01 = TOps.MultiplyAdd(x, y1, c01); c02 = TOps.MultiplyAdd(x, y2, c02);
            x = TOps.Load(ref Unsafe.Add(ref a1, p));
            c10 = TOps.MultiplyAdd(x, y0, c10); c11 = TOps.MultiplyAdd(x, y1, c11); c12 = TOps.MultiplyAdd(x, y2, c12);
            x = TOps.Load(ref Unsafe.Add(ref a2, p));
            c20 = TOps.MultiplyAdd(x, y0, c20); c21 = TOps.MultiplyAdd(x, y1, c21); c22 = TOps.MultiplyAdd(x, y2, c22);
            x = TOps.Load(ref Unsafe.Add(ref a3, p));
            c30 = TOps.MultiplyAdd(x, y0, c30); c31 = TOps.MultiplyAdd(x, y1, c31); c32 = TOps.MultiplyAdd(x, y2, c32);
        }
        int rows = Math.Min(TileM, m - i0), cols = Math.Min(TileN, n - j0);
        Span<T> s = stackalloc T[TileM * TileN];
        s[0] = TOps.Sum(c00); s[1] = TOps.Sum(c01); s[2] = TOps.Sum(c02);
        s[3] = TOps.Sum(c10); s[4] = TOps.Sum(c11); s[5] = TOps.Sum(c12);
        s[6] = TOps.Sum(c20); s[7] = TOps.Sum(c21); s[8] = TOps.Sum(c22);
        s[9] = TOps.Sum(c30); s[10] = TOps.Sum(c31); s[11] = TOps.Sum(c32);
        for (int r = 0; r < rows; r++)
        {
            ref T ar = ref Unsafe.Add(ref aRef, aOff + (nint)(i0 + r) * rsA);
            for (int q = 0; q < cols; q++)
            {
                ref T bq = ref Unsafe.Add(ref bRef, bOff + (nint)(j0 + q) * csB);
                T acc = s[r * TileN + q];
                for (nint t = p; t < kc; t++) acc += Unsafe.Add(ref ar, t) * Unsafe.Add(ref bq, t);
                c[cOff + (i0 + r) * ldc + j0 + q] = acc;
            }
        }
    }
}
