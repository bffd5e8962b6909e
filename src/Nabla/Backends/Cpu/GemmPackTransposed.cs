using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Packs a full sliver of float32 B whose k steps are contiguous (a transposed view such as Linear's Wᵀ, row stride 1)
/// with 8 x 8 AVX transposes: eight columns of eight k steps each become eight rows of the packed order
/// dst[p*nr + j] in 24 shuffles, instead of 64 scalar stores each a packed row apart. A copy only: the packed values,
/// hence the product's bits, are unchanged.
/// </summary>
internal static class GemmPackTransposed
{
    const int Block = 8;

    public static bool Supported => Avx.IsSupported;

    /// <summary>Columns j &lt; nr at <c>b[off + j*cs + p]</c>, p &lt; kc, into <c>d[p*nr + j]</c>; nr a multiple of 8.</summary>
    public static void Pack(float[] b, nint off, nint cs, int kc, int nr, ref float d)
    {
        ref float src = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), off);
        int p = 0;
        for (; p + Block <= kc; p += Block)
            for (int j = 0; j < nr; j += Block)
                Transpose8(ref Unsafe.Add(ref src, j * cs + p), cs, ref Unsafe.Add(ref d, (nint)p * nr + j), nr);
        for (; p < kc; p++)
            for (int j = 0; j < nr; j++)
                Unsafe.Add(ref d, (nint)p * nr + j) = Unsafe.Add(ref src, j * cs + p);
    }

    // Rows r of s (r*ls apart, eight values each) become columns of d (rows ld apart).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8(ref float s, nint ls, ref float d, nint ld)
    {
        var r0 = Vector256.LoadUnsafe(ref s);
        var r1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, ls));
        var r2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 2 * ls));
        var r3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 3 * ls));
        var r4 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 4 * ls));
        var r5 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 5 * ls));
        var r6 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 6 * ls));
        var r7 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 7 * ls));
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref d);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref Unsafe.Add(ref d, ld));
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref Unsafe.Add(ref d, 2 * ld));
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref Unsafe.Add(ref d, 3 * ld));
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref Unsafe.Add(ref d, 4 * ld));
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref Unsafe.Add(ref d, 5 * ld));
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref Unsafe.Add(ref d, 6 * ld));
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref Unsafe.Add(ref d, 7 * ld));
    }
}
