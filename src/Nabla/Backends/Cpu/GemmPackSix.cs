using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Packs a full six-row sliver of row-major float32 A (the micro-kernel's MR = 6) with AVX-512
/// two-source permutes: sixteen k steps of the six rows (96 floats) become six vectors of the packed
/// order dst[p*6 + r] in 18 permutes and 12 blends, instead of 96 scalar stores that each touch the
/// sliver at a stride of six. A copy only: the packed values, hence the product's bits, are unchanged.
/// </summary>
internal static class GemmPackSix
{
    const int Rows = 6, Lanes = 16;

    // For output vector j and row pair q: the vpermt2ps indices (row 2q in 0-15, row 2q+1 in 16-31)
    // and the lanes that pair fills.
    static readonly Vector512<int>[] Index = BuildIndex();
    static readonly Vector512<float>[] Mask = BuildMask();

    public static bool Supported => Avx512F.IsSupported;

    /// <summary>Rows r &lt; 6 at <c>a[off + r*rs + p]</c>, p &lt; kc, into <c>d[p*6 + r]</c>.</summary>
    public static void Pack(float[] a, nint off, nint rs, int kc, ref float d)
    {
        ref float r0 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), off);
        ref Vector512<int> ix = ref MemoryMarshal.GetArrayDataReference(Index);
        ref Vector512<float> mk = ref MemoryMarshal.GetArrayDataReference(Mask);
        int p = 0;
        for (; p + Lanes <= kc; p += Lanes)
        {
            var x0 = Vector512.LoadUnsafe(ref r0, (nuint)p);
            var x1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref r0, rs), (nuint)p);
            var x2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref r0, 2 * rs), (nuint)p);
            var x3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref r0, 3 * rs), (nuint)p);
            var x4 = Vector512.LoadUnsafe(ref Unsafe.Add(ref r0, 4 * rs), (nuint)p);
            var x5 = Vector512.LoadUnsafe(ref Unsafe.Add(ref r0, 5 * rs), (nuint)p);
            ref float o = ref Unsafe.Add(ref d, (nint)p * Rows);
            for (int j = 0; j < Rows; j++)
            {
                var v01 = Avx512F.PermuteVar16x32x2(x0, Unsafe.Add(ref ix, 3 * j), x1);
                var v23 = Avx512F.PermuteVar16x32x2(x2, Unsafe.Add(ref ix, 3 * j + 1), x3);
                var v45 = Avx512F.PermuteVar16x32x2(x4, Unsafe.Add(ref ix, 3 * j + 2), x5);
                var v = Vector512.ConditionalSelect(Unsafe.Add(ref mk, 2 * j), v01,
                    Vector512.ConditionalSelect(Unsafe.Add(ref mk, 2 * j + 1), v23, v45));
                v.StoreUnsafe(ref o, (nuint)(j * Lanes));
            }
        }
        for (; p < kc; p++)
            for (int r = 0; r < Rows; r++)
                Unsafe.Add(ref d, (nint)p * Rows + r) = Unsafe.Add(ref r0, r * rs + p);
    }

    static Vector512<int>[] BuildIndex()
    {
        var result = new Vector512<int>[Rows * 3];
        var lanes = new int[Lanes];
        for (int j = 0; j < Rows; j++)
            for (int q = 0; q < 3; q++)
            {
                for (int l = 0; l < Lanes; l++)
                {
                    int idx = j * Lanes + l, p = idx / Rows, r = idx % Rows;
                    lanes[l] = r / 2 == q ? (r % 2) * Lanes + p : 0;
                }
                result[3 * j + q] = Vector512.Create(lanes);
            }
        return result;
    }

    static Vector512<float>[] BuildMask()
    {
        var result = new Vector512<float>[Rows * 2];
        var lanes = new float[Lanes];
        for (int j = 0; j < Rows; j++)
            for (int q = 0; q < 2; q++)
            {
                for (int l = 0; l < Lanes; l++)
                    lanes[l] = ((j * Lanes + l) % Rows) / 2 == q ? BitConverter.Int32BitsToSingle(-1) : 0f;
                result[2 * j + q] = Vector512.Create(lanes);
            }
        return result;
    }
}
