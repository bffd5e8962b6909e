using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Nabla.Backends.Cpu;

namespace Nabla.Bench;

/// <summary>
/// Does CPU storage gain from 64-byte-aligned native memory over managed arrays? The same kernels (a
/// memory-bound add and the compute-bound float exp) run over managed float[] (whose data starts 16 bytes
/// into an 8-byte-aligned object, so its address mod 64 varies) and over NativeMemory.AlignedAlloc(64)
/// blocks read at offsets 0, 8, 16 and 32 bytes (three arrays spaced apart or at one offset mod 4096), at sizes in L1/L2, L3 and DRAM. One thread, GB/s counting
/// 12 bytes per element for add (two reads, one write) and 8 for exp. See bench/README.md for the decision.
/// </summary>
internal static unsafe class StorageBenchmarks
{
    public static void Alignment(int threads, bool quick)
    {
        if (threads != 1) return;
        int[] sizes = quick ? [16_384, 4_194_304] : [16_384, 262_144, 4_194_304, 16_777_216];
        foreach (var n in sizes)
        {
            int reps = n <= 262_144 ? 201 : quick ? 7 : 15;
            var (a, b, y) = (new float[n], new float[n], new float[n]);
            for (int i = 0; i < n; i++) a[i] = b[i] = (i % 17) * 0.25f;
            Managed(n, reps, a, b, y, "first");
            // Offsets 0/16/32: aligned or 16-byte-aligned vectors; 8: the alignment a managed array can have.
            // The three arrays sit 64 bytes apart mod 4096 ("spaced"), or at the same offset mod 4096
            // ("same_page_offset"), where loads and stores can alias in the store-forwarding check.
            foreach (var (offset, gap) in new[] { (0, 64), (8, 64), (16, 64), (32, 64), (0, 0), (8, 0) })
            {
                var block = (byte*)NativeMemory.AlignedAlloc((nuint)(3 * ((long)n * 4 + 64)), 64);
                try
                {
                    long stride = (long)n * 4 + gap;
                    var t = new NativeTriple(block + offset, block + stride + offset, block + 2 * stride + offset, n);
                    a.CopyTo(t.A);
                    b.CopyTo(t.B);
                    Rows(n, reps, gap == 0 ? "native_same_page_offset" : "native_spaced", offset, t);
                }
                finally { NativeMemory.AlignedFree(block); }
            }
            // Managed arrays on the pinned heap, each read from its first 64-byte boundary (what a storage
            // offset could do for pooled arrays).
            {
                var (pa, pb, py) = (GC.AllocateArray<float>(n + 16, pinned: true), GC.AllocateArray<float>(n + 16, pinned: true), GC.AllocateArray<float>(n + 16, pinned: true));
                var t = new NativeTriple(Aligned(pa), Aligned(pb), Aligned(py), n);
                a.CopyTo(t.A);
                b.CopyTo(t.B);
                Rows(n, reps, "managed_pinned_at64", 0, t);
                GC.KeepAlive(pa); GC.KeepAlive(pb); GC.KeepAlive(py);
            }
            // Again after the native rows, so an order effect (warm-up, clock) shows as a gap between the two.
            Managed(n, reps, a, b, y, "last");
        }
    }

    static byte* Aligned(float[] pinned)
    {
        var p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return p + (64 - (nint)p % 64) % 64;
    }

    static void Managed(int n, int reps, float[] a, float[] b, float[] y, string when)
    {
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* py = y)
            Rows(n, reps, $"managed_{when}(b-a={((nint)pb - (nint)pa) % 4096},y-a={((nint)py - (nint)pa) % 4096})", (nint)pa % 64, a, b, y);
    }

    readonly struct NativeTriple(byte* a, byte* b, byte* y, int n)
    {
        public Span<float> A => new(a, n);
        public Span<float> B => new(b, n);
        public Span<float> Y => new(y, n);
    }

    static void Rows(int n, int reps, string storage, nint offset, float[] a, float[] b, float[] y)
    {
        Row(n, reps, storage, offset, "add", 12, () => TensorPrimitives.Add(a, b, y));
        Row(n, reps, storage, offset, "exp", 8, () => FastMath.Exp(a, y));
    }

    static void Rows(int n, int reps, string storage, nint offset, NativeTriple t)
    {
        Row(n, reps, storage, offset, "add", 12, () => TensorPrimitives.Add(t.A, t.B, t.Y));
        Row(n, reps, storage, offset, "exp", 8, () => FastMath.Exp(t.A, t.Y));
    }

    static void Row(int n, int reps, string storage, nint offset, string op, int bytesPerElement, Action body)
    {
        Harness.WarmUp(body, minSeconds: 0.3);
        double seconds = Harness.Median(reps, body);
        Harness.Report("storage_alignment", "GB/s", (double)n * bytesPerElement / seconds / 1e9, true,
            ("op", op), ("storage", storage), ("offset_mod_64", (long)offset), ("n", n), ("threads", 1), ("reps", reps));
    }
}
