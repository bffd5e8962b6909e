using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The shape rule for splitting k: products with a small output and a long k (a convolution's weight
/// gradient, gW[O, C·kh·kw] = gy[O, B·L] · colsᵀ, has k = B·L in the tens of thousands and m·n in the
/// hundreds to tens of thousands). The tiled GEMM has one or a few tiles of C there, which one thread
/// walks block after block while the others wait. Everything here depends on the shape only, never on
/// the thread count, so the bits do not either.
/// </summary>
internal static class GemmSplitKRule
{
    /// <summary>Shortest chunk of k: long enough that a chunk's packing and sum cost little next to its multiply-adds.</summary>
    public const int MinChunk = 1024;

    /// <summary>Most chunks per product: enough to even out two to a few threads, few enough to sum cheaply.</summary>
    public const int MaxChunks = 32;

    /// <summary>Most partial-product elements held at once (chunks · m · n): 4 MB of float32.</summary>
    public const int MaxScratch = 1 << 20;

    /// <summary>Largest output (m · n) split; larger outputs have enough tiles for the tiled GEMM.</summary>
    public const int MaxOutput = 1 << 15;

    /// <summary>
    /// Chunks in the weight-gradient layout run as in-place dot products when the output's smaller side
    /// is at most this: packing's share of the work, (m + n) / (m·n) per multiply-add, is large there;
    /// from 128 x 128 up the packed kernel is as fast or faster.
    /// </summary>
    public const int MaxDotSide = 64;

    /// <summary>Off sends every product to the tiled GEMM (tests and benchmarks compare the two paths in one process).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>
    /// The chunk length of k for an m x k x n product, or 0 to use the tiled GEMM: split only when the
    /// output is small (m·n ≤ <see cref="MaxOutput"/>), k is at least 8 times max(m, n), and at least
    /// two chunks of <see cref="MinChunk"/> fit. The chunk count is rounded down to a multiple of 4
    /// (of 2 below 8) so that it divides evenly among 2 or 4 threads.
    /// </summary>
    public static int ChunkLength(int m, int k, int n)
    {
        long mn = (long)m * n;
        if (!Enabled || mn > MaxOutput || k < 8L * Math.Max(m, n) || k < 2 * MinChunk) return 0;
        int chunks = (int)Math.Min(Math.Min(MaxChunks, k / MinChunk), MaxScratch / mn);
        chunks = chunks >= 8 ? chunks & ~3 : chunks & ~1;
        if (chunks < 2) return 0;
        int len = (k + chunks - 1) / chunks;
        return (len + 15) & ~15;
    }
}

/// <summary>
/// C = A·B as a sum of partial products over fixed chunks of k: chunk q computes
/// P_q = A[:, kq..kq+len) · B[kq..kq+len), :] on one thread into its own slot of a scratch buffer
/// (threads claim chunks), then C = ((P_0 + P_1) + P_2) + ... in chunk order, split over fixed pieces
/// of C. With any thread count the same chunks run and every element is summed in the same order, so
/// the bits never depend on the thread count.
/// <para>
/// A chunk is computed by <see cref="GemmDot{T, TV, TOps}"/> when A's rows and B's columns are both
/// contiguous along k (a weight gradient gy · colsᵀ: no packing) and one side of the output is short
/// (<see cref="GemmSplitKRule.MaxDotSide"/>), otherwise by the single-thread
/// blocked GEMM in whichever orientation fills its MR x NR register tile better: Pᵀ = Bᵀ·Aᵀ when n
/// is small next to NR (a 3x3 kernel's 9 columns would use 9 of 32 lanes; transposed they use all 32
/// and 9 of 12 rows). The multiply-adds are the same in either orientation.
/// </para>
/// </summary>
internal static class GemmSplitK
{
    const int Piece = 4096;      // elements of C summed per work item (cache-resident across chunks)

    /// <summary>Benchmarks switch the dot-product chunks off to compare them with packed chunks.</summary>
    internal static bool UseDot { get; set; } = true;

    /// <summary><paramref name="bits"/>: the vector width (512, 256 or 128).</summary>
    public static void Run<T>(T[] a, int aOff, int rsA, int csA, T[] b, int bOff, int rsB, int csB,
        T[] c, int cOff, int ldc, int m, int k, int n, int len, int bits, bool parallel) where T : unmanaged, INumber<T>
    {
        int chunks = (k + len - 1) / len, mn = m * n;
        bool dot = UseDot && csA == 1 && rsB == 1 && Math.Min(m, n) <= GemmSplitKRule.MaxDotSide;
        bool transpose = !dot && Fill<T>(n, m, bits) > Fill<T>(m, n, bits);
        var scratch = Scratch<T>.Take(chunks * mn);
        try
        {
            void Chunk(int q)
            {
                int p0 = q * len, kq = Math.Min(len, k - p0), slot = q * mn;
                if (dot)
                    Dot(bits, a, aOff + p0, rsA, b, bOff + p0, csB, scratch, slot, n, m, kq, n);
                else if (transpose)
                    Blocked(bits, b, bOff + p0 * rsB, csB, rsB, a, aOff + p0 * csA, csA, rsA, scratch, slot, m, n, kq, m);
                else
                    Blocked(bits, a, aOff + p0 * csA, rsA, csA, b, bOff + p0 * rsB, rsB, csB, scratch, slot, n, m, kq, n);
            }
            int helpers = parallel ? CpuParallel.Threads - 1 : 0;
            CpuWorkers.For(chunks, helpers, Chunk);

            // Sum the partials into slot 0 (or straight into C when it is the same contiguous layout).
            bool direct = !transpose && ldc == n;
            int pieces = (mn + Piece - 1) / Piece;
            void Sum(int piece)
            {
                int e0 = piece * Piece, count = Math.Min(Piece, mn - e0);
                var dst = direct ? c.AsSpan(cOff + e0, count) : scratch.AsSpan(e0, count);
                Add(scratch.AsSpan(e0, count), scratch.AsSpan(mn + e0, count), dst);
                for (int q = 2; q < chunks; q++) Add(dst, scratch.AsSpan(q * mn + e0, count), dst);
            }
            CpuWorkers.For(pieces, (long)mn * chunks >= 1 << 16 ? helpers : 0, Sum);
            if (direct) return;
            if (!transpose)
            {
                for (int i = 0; i < m; i++) scratch.AsSpan(i * n, n).CopyTo(c.AsSpan(cOff + i * ldc, n));
                return;
            }
            for (int i = 0; i < m; i++)                // slot 0 holds Cᵀ [n, m]
            {
                var row = c.AsSpan(cOff + i * ldc, n);
                for (int j = 0; j < n; j++) row[j] = scratch[j * m + i];
            }
        }
        finally
        {
            Scratch<T>.Return(scratch);
        }
    }

    static void Dot<T>(int bits, T[] a, int aOff, int rsA, T[] b, int bOff, int csB, T[] c, int cOff, int ldc, int m, int kc, int n)
        where T : unmanaged, INumber<T>
    {
        if (bits == 512) GemmDot<T, Vector512<T>, DotVec512<T>>.Run(a, aOff, rsA, b, bOff, csB, c, cOff, ldc, m, kc, n);
        else if (bits == 256) GemmDot<T, Vector256<T>, DotVec256<T>>.Run(a, aOff, rsA, b, bOff, csB, c, cOff, ldc, m, kc, n);
        else GemmDot<T, Vector128<T>, DotVec128<T>>.Run(a, aOff, rsA, b, bOff, csB, c, cOff, ldc, m, kc, n);
    }

    static void Blocked<T>(int bits, T[] a, int aOff, int rsA, int csA, T[] b, int bOff, int rsB, int csB,
        T[] c, int cOff, int ldc, int m, int k, int n) where T : unmanaged
    {
        if (bits == 512) GemmBlocked<T, Vector512<T>, GemmVec512<T>>.Run(a, aOff, rsA, csA, b, bOff, rsB, csB, c, cOff, ldc, m, k, n, false);
        else if (bits == 256) GemmBlocked<T, Vector256<T>, GemmVec256<T>>.Run(a, aOff, rsA, csA, b, bOff, rsB, csB, c, cOff, ldc, m, k, n, false);
        else GemmBlocked<T, Vector128<T>, GemmVec128<T>>.Run(a, aOff, rsA, csA, b, bOff, rsB, csB, c, cOff, ldc, m, k, n, false);
    }

    // Share of the blocked kernel's register-tile lanes that hold real output for an m x n product.
    static double Fill<T>(int m, int n, int bits) where T : unmanaged
    {
        int mr = GemmMicroKernel<T, Vector128<T>, GemmVec128<T>>.MR, nr = 2 * bits / 8 / Unsafe.SizeOf<T>();
        return (double)m / ((m + mr - 1) / mr * mr) * n / ((n + nr - 1) / nr * nr);
    }

    static void Add<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            TensorPrimitives.Add(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y), MemoryMarshal.Cast<T, float>(dst));
        else if (typeof(T) == typeof(double))
            TensorPrimitives.Add(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(y), MemoryMarshal.Cast<T, double>(dst));
        else throw new NotSupportedException($"internal: split-k GEMM on {typeof(T).Name}");
    }

    // One scratch buffer per calling thread, taken out while in use (a re-entrant call gets its own).
    static class Scratch<T> where T : unmanaged
    {
        [ThreadStatic] static T[]? cached;

        public static T[] Take(int length)
        {
            var buffer = cached;
            cached = null;
            return buffer is null || buffer.Length < length ? GC.AllocateUninitializedArray<T>(length) : buffer;
        }

        public static void Return(T[] buffer) => cached = buffer;
    }
}
