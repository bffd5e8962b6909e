using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Every block of one B operand packed once, in the order the blocked GEMM packs it per call (the same
/// <see cref="GemmPack.PackB{T}"/> on the same blocks, so the product's bits are unchanged), kept per storage for
/// products whose B is a weight that stays the same between calls. An entry is used only while its storage's version
/// (bumped by every in-place write and optimizer step) and B's layout, the shape and the blocking are those it was
/// packed for; otherwise it is packed again. Held weakly by the storage: it dies with the weight.
/// </summary>
internal sealed class GemmPackedB<T> where T : unmanaged
{
    static readonly ConditionalWeakTable<object, GemmPackedB<T>> ByStorage = new();

    readonly int version, bOff, rsB, csB, k, n, nr, kc0, nc0;

    /// <summary>The packed blocks: block i (numbered as the GEMM numbers them) starts at <c>Start + Offsets[i]</c>.</summary>
    public T[] Data { get; }
    public int Start { get; }
    public int[] Offsets { get; }

    GemmPackedB(T[] b, int version, int bOff, int rsB, int csB, int k, int n, int nr, int kc0, int nc0)
    {
        (this.version, this.bOff, this.rsB, this.csB, this.k, this.n, this.nr, this.kc0, this.nc0) = (version, bOff, rsB, csB, k, n, nr, kc0, nc0);
        int kBlocks = (k + kc0 - 1) / kc0, groups = (n + nc0 - 1) / nc0;
        Offsets = new int[kBlocks * groups];
        int total = 0;
        for (int i = 0; i < Offsets.Length; i++)
        {
            int jc = i / kBlocks * nc0, pc = i % kBlocks * kc0;
            Offsets[i] = total;
            total += Math.Min(kc0, k - pc) * ((Math.Min(nc0, n - jc) + nr - 1) / nr) * nr;
        }
        int pad = 64 / Unsafe.SizeOf<T>();
        Data = GC.AllocateUninitializedArray<T>(total + pad, pinned: true);
        long address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(Data, 0);
        Start = (int)((64 - (address & 63)) & 63) / Unsafe.SizeOf<T>();
        for (int i = 0; i < Offsets.Length; i++)
        {
            int jc = i / kBlocks * nc0, pc = i % kBlocks * kc0;
            int nc = Math.Min(nc0, n - jc), kc = Math.Min(kc0, k - pc);
            GemmPack.PackB(b, bOff + pc * rsB + jc * csB, rsB, csB, kc, nc, nr, Data.AsSpan(Start + Offsets[i]), 0, (nc + nr - 1) / nr);
        }
    }

    /// <summary>The packed blocks of B as it is now (<paramref name="version"/> of <paramref name="storage"/>), packing them when none fit.</summary>
    public static GemmPackedB<T> For(object storage, int version, T[] b, int bOff, int rsB, int csB, int k, int n, int nr, int kc0, int nc0)
    {
        if (ByStorage.TryGetValue(storage, out var e) && e.version == version && e.bOff == bOff && e.rsB == rsB && e.csB == csB
            && e.k == k && e.n == n && e.nr == nr && e.kc0 == kc0 && e.nc0 == nc0)
            return e;
        var packed = new GemmPackedB<T>(b, version, bOff, rsB, csB, k, n, nr, kc0, nc0);
        ByStorage.AddOrUpdate(storage, packed);
        return packed;
    }
}
