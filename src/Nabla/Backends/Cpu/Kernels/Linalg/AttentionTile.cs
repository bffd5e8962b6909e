using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// The small products of the fused attention kernel: C[m, n] (+)= A[m, k]·B[k, n] with A and B row-major (any row
/// strides), n at most a few vectors (a key block, a head dim). Four rows by two vectors of C at a time in registers, k outermost: each
/// step broadcasts a[i, p] and multiplies B's row p, so short k (head dims of 32) costs nothing extra (a dot-product form
/// would reduce every element across lanes). The vector operations are the GEMM micro-kernel's (<see cref="IGemmVector{T, TV}"/>). Each element of C is summed over p in order, whatever the thread.
/// </summary>
internal static class AttentionTile
{
    public static void Run<T>(T[] a, int aOff, int lda, T[] b, int bOff, int ldb, T[] c, int cOff, int ldc, int m, int k, int n, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        if (Vector512.IsHardwareAccelerated) Tile<T, Vector512<T>, GemmVec512<T>>.Run(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, m, k, n, accumulate);
        else Tile<T, Vector256<T>, GemmVec256<T>>.Run(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, m, k, n, accumulate);
    }

    static class Tile<T, TV, TOps> where T : unmanaged, INumber<T> where TV : struct where TOps : IGemmVector<T, TV>
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(T[] a, int aOff, int lda, T[] b, int bOff, int ldb, T[] c, int cOff, int ldc, int m, int k, int n, bool accumulate)
        {
            int w = TOps.Count;
            ref T aRef = ref MemoryMarshal.GetArrayDataReference(a);
            ref T bRef = ref MemoryMarshal.GetArrayDataReference(b);
            ref T cRef = ref MemoryMarshal.GetArrayDataReference(c);
            int j = 0;
            for (; j + 2 * w <= n; j += 2 * w)
            {
                int i = 0;
                for (; i + 4 <= m; i += 4)
                {
                    ref T c0 = ref Unsafe.Add(ref cRef, cOff + (nint)i * ldc + j);
                    ref T c1 = ref Unsafe.Add(ref c0, ldc);
                    ref T c2 = ref Unsafe.Add(ref c1, ldc);
                    ref T c3 = ref Unsafe.Add(ref c2, ldc);
                    TV x00 = default, x01 = default, x10 = default, x11 = default, x20 = default, x21 = default, x30 = default, x31 = default;
                    if (accumulate)
                    {
                        (x00, x01) = (TOps.Load(ref c0), TOps.Load(ref Unsafe.Add(ref c0, w)));
                        (x10, x11) = (TOps.Load(ref c1), TOps.Load(ref Unsafe.Add(ref c1, w)));
                        (x20, x21) = (TOps.Load(ref c2), TOps.Load(ref Unsafe.Add(ref c2, w)));
                        (x30, x31) = (TOps.Load(ref c3), TOps.Load(ref Unsafe.Add(ref c3, w)));
                    }
                    ref T a0 = ref Unsafe.Add(ref aRef, aOff + (nint)i * lda);
                    ref T a1 = ref Unsafe.Add(ref a0, lda);
                    ref T a2 = ref Unsafe.Add(ref a1, lda);
                    ref T a3 = ref Unsafe.Add(ref a2, lda);
                    for (int p = 0; p < k; p++)
                    {
                        ref T bp = ref Unsafe.Add(ref bRef, bOff + (nint)p * ldb + j);
                        TV y0 = TOps.Load(ref bp), y1 = TOps.Load(ref Unsafe.Add(ref bp, w));
                        TV s = TOps.Splat(Unsafe.Add(ref a0, p));
                        x00 = TOps.MultiplyAdd(s, y0, x00); x01 = TOps.MultiplyAdd(s, y1, x01);
                        s = TOps.Splat(Unsafe.Add(ref a1, p));
                        x10 = TOps.MultiplyAdd(s, y0, x10); x11 = TOps.MultiplyAdd(s, y1, x11);
                        s = TOps.Splat(Unsafe.Add(ref a2, p));
                        x20 = TOps.MultiplyAdd(s, y0, x20); x21 = TOps.MultiplyAdd(s, y1, x21);
                        s = TOps.Splat(Unsafe.Add(ref a3, p));
                        x30 = TOps.MultiplyAdd(s, y0, x30); x31 = TOps.MultiplyAdd(s, y1, x31);
                    }
                    TOps.Store(x00, ref c0); TOps.Store(x01, ref Unsafe.Add(ref c0, w));
                    TOps.Store(x10, ref c1); TOps.Store(x11, ref Unsafe.Add(ref c1, w));
                    TOps.Store(x20, ref c2); TOps.Store(x21, ref Unsafe.Add(ref c2, w));
                    TOps.Store(x30, ref c3); TOps.Store(x31, ref Unsafe.Add(ref c3, w));
                }
                for (; i < m; i++) OneRow(ref aRef, aOff + i * lda, ref bRef, bOff, ldb, ref cRef, cOff + i * ldc, k, j, j + 2 * w, accumulate);
            }
            for (int i = 0; i < m && j < n; i++) OneRow(ref aRef, aOff + i * lda, ref bRef, bOff, ldb, ref cRef, cOff + i * ldc, k, j, n, accumulate);
        }

        /// <summary>Row c[from..to) of one row: whole vectors, then the scalar tail (each element summed over p in order).</summary>
        static void OneRow(ref T aRef, int aAt, ref T bRef, int bOff, int ldb, ref T cRef, int cAt, int k, int from, int to, bool accumulate)
        {
            int w = TOps.Count, j = from;
            ref T ar = ref Unsafe.Add(ref aRef, aAt);
            for (; j + w <= to; j += w)
            {
                ref T cj = ref Unsafe.Add(ref cRef, cAt + j);
                TV x = accumulate ? TOps.Load(ref cj) : default;
                for (int p = 0; p < k; p++) x = TOps.MultiplyAdd(TOps.Splat(Unsafe.Add(ref ar, p)), TOps.Load(ref Unsafe.Add(ref bRef, bOff + (nint)p * ldb + j)), x);
                TOps.Store(x, ref cj);
            }
            for (; j < to; j++)
            {
                T x = accumulate ? Unsafe.Add(ref cRef, cAt + j) : T.Zero;
                for (int p = 0; p < k; p++) x += Unsafe.Add(ref ar, p) * Unsafe.Add(ref bRef, bOff + (nint)p * ldb + j);
                Unsafe.Add(ref cRef, cAt + j) = x;
            }
        }
    }
}
