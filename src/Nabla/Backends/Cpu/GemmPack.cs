using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Packing for the blocked GEMM: copies a block of A or B, read through any row/column strides
/// (so a transposed or expanded view is read in place, never materialised), into the order the
/// micro-kernel streams it. Partial slivers are padded with zeros so the kernel always runs full tiles.
/// </summary>
internal static class GemmPack
{
    /// <summary>
    /// A[r, p] for r &lt; mc, p &lt; kc (element at <c>off + r*rs + p*cs</c>) into slivers of
    /// <paramref name="mr"/> rows: dst[s*kc*mr + p*mr + r'] where r = s*mr + r'.
    /// </summary>
    public static void PackA<T>(T[] a, int off, int rs, int cs, int mc, int kc, int mr, Span<T> dst) where T : unmanaged
    {
        ref T src = ref MemoryMarshal.GetArrayDataReference(a);
        ref T d0 = ref MemoryMarshal.GetReference(dst);
        for (int s = 0, i0 = 0; i0 < mc; s++, i0 += mr)
        {
            ref T d = ref Unsafe.Add(ref d0, (nint)s * kc * mr);
            int rows = Math.Min(mr, mc - i0);
            if (typeof(T) == typeof(float) && rows == 6 && mr == 6 && cs == 1 && GemmPackSix.Supported)
            {
                GemmPackSix.Pack(Unsafe.As<float[]>(a), off + (nint)i0 * rs, rs, kc, ref Unsafe.As<T, float>(ref d));
                continue;
            }
            if (rows == mr && rs == 1)
            {
                // A transposed view: the sliver's rows sit side by side, so each k step is one contiguous run.
                nint o = off + i0;
                for (int p = 0; p < kc; p++, o += cs)
                    MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref src, o), mr)
                        .CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref d, p * mr), mr));
                continue;
            }
            for (int r = 0; r < rows; r++)
            {
                nint o = off + (nint)(i0 + r) * rs;
                if (cs == 1)
                    for (int p = 0; p < kc; p++) Unsafe.Add(ref d, p * mr + r) = Unsafe.Add(ref src, o + p);
                else
                    for (int p = 0; p < kc; p++, o += cs) Unsafe.Add(ref d, p * mr + r) = Unsafe.Add(ref src, o);
            }
            for (int r = rows; r < mr; r++)
                for (int p = 0; p < kc; p++) Unsafe.Add(ref d, p * mr + r) = default;
        }
    }

    /// <summary>
    /// B[p, j] for p &lt; kc, j &lt; nc (element at <c>off + p*rs + j*cs</c>) into slivers of
    /// <paramref name="nr"/> columns: dst[s*kc*nr + p*nr + j'] where j = s*nr + j'.
    /// Slivers [s0, s1) only, so threads can share the work.
    /// </summary>
    public static void PackB<T>(T[] b, int off, int rs, int cs, int kc, int nc, int nr, Span<T> dst, int s0, int s1)
        where T : unmanaged
    {
        ref T src = ref MemoryMarshal.GetArrayDataReference(b);
        ref T d0 = ref MemoryMarshal.GetReference(dst);
        for (int s = s0; s < s1; s++)
        {
            int j0 = s * nr;
            ref T d = ref Unsafe.Add(ref d0, (nint)s * kc * nr);
            int cols = Math.Min(nr, nc - j0);
            if (cs == 1 && cols == nr)
            {
                // Row-major B: each k step of the sliver is one contiguous piece of a row.
                nint o = off + j0;
                for (int p = 0; p < kc; p++, o += rs)
                    MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref src, o), nr)
                        .CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref d, p * nr), nr));
                continue;
            }
            if (typeof(T) == typeof(float) && rs == 1 && cols == nr && nr % 8 == 0 && GemmPackTransposed.Supported)
            {
                GemmPackTransposed.Pack(Unsafe.As<float[]>(b), off + (nint)j0 * cs, cs, kc, nr, ref Unsafe.As<T, float>(ref d));
                continue;
            }
            for (int j = 0; j < cols; j++)
            {
                nint o = off + (nint)(j0 + j) * cs;
                if (rs == 1)
                    for (int p = 0; p < kc; p++) Unsafe.Add(ref d, p * nr + j) = Unsafe.Add(ref src, o + p);
                else
                    for (int p = 0; p < kc; p++, o += rs) Unsafe.Add(ref d, p * nr + j) = Unsafe.Add(ref src, o);
            }
            for (int j = cols; j < nr; j++)
                for (int p = 0; p < kc; p++) Unsafe.Add(ref d, p * nr + j) = default;
        }
    }
}

/// <summary>
/// Per-thread packing buffers, pinned and 64-byte aligned, kept between calls so steady-state
/// GEMMs allocate nothing. A buffer is taken out of its slot while in use, so a re-entrant call on
/// the same thread (e.g. a work-stealing wait) gets a fresh one instead of sharing.
/// </summary>
internal static class GemmBuffers<T> where T : unmanaged
{
    [ThreadStatic] static T[]? packedA;
    [ThreadStatic] static T[]? packedB;

    public static T[] TakeA(int length, out int start) => Take(ref packedA, length, out start);
    public static T[] TakeB(int length, out int start) => Take(ref packedB, length, out start);
    public static void ReturnA(T[] buffer) => packedA = buffer;
    public static void ReturnB(T[] buffer) => packedB = buffer;

    static T[] Take(ref T[]? slot, int length, out int start)
    {
        int pad = 64 / Unsafe.SizeOf<T>();
        var buffer = slot;
        slot = null;
        if (buffer is null || buffer.Length < length + pad)
            buffer = GC.AllocateUninitializedArray<T>(length + pad, pinned: true);
        long address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0);
        start = (int)((64 - (address & 63)) & 63) / Unsafe.SizeOf<T>();
        return buffer;
    }
}
