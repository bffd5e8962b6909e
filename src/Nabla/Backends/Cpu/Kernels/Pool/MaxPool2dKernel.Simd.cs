using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// The vector kernel of the common 2×2 stride-2 window (no padding or dilation): per output row, a chunk
/// of k outputs reads 2k consecutive inputs from each of its two input rows, splits them into even and
/// odd columns with one shuffle, and folds the four window elements in row-major order with the scalar
/// rule (a later element wins when larger or NaN), carrying the flat positions alongside as values of
/// the element type (exact below 2^24 positions per plane, which the caller checks). A row narrower than
/// a chunk multiple ends with a chunk shifted left to overlap the previous one: it recomputes the same
/// outputs, so the result is the scalar kernel's, bit for bit, whatever the split.
/// </summary>
internal static partial class MaxPool2dKernel
{
    /// <summary>Outputs per vector chunk for this element type and row width (0: no vector path).</summary>
    static int ChunkWidth<T>(int ow)
    {
        int wide = Vector256<T>.Count, narrow = Vector128<T>.Count;
        if (Vector512.IsHardwareAccelerated && ow >= wide) return wide;
        if (Vector256.IsHardwareAccelerated && ow >= narrow) return narrow;
        return 0;
    }

    /// <summary>Outputs [lo, hi) of one plane for 2×2 stride 2: whole rows by vector chunks, partial rows scalar.</summary>
    static void Stride2x2<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> index, int lo, int hi, int w, int ow)
        where T : unmanaged, INumber<T>
    {
        int width = ChunkWidth<T>(ow);
        for (int oh = lo / ow, pos = lo; pos < hi; oh++)
        {
            int end = Math.Min(hi, (oh + 1) * ow);
            if (width > 0 && pos == oh * ow && end == (oh + 1) * ow)
                for (int c = 0; ; c += width)
                {
                    int at = Math.Min(c, ow - width);
                    Chunk(x, y, index, 2 * oh * w + 2 * at, w, oh * ow + at, width);
                    if (at == ow - width) break;
                }
            else
                Plane2x2(x, y, index, pos, end, w, ow, 2, 2);
            pos = end;
        }
    }

    /// <summary>k = <paramref name="width"/> outputs from inputs [top, top + 2k) and [top + w, top + w + 2k).</summary>
    static void Chunk<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> index, int top, int w, int outAt, int width)
        where T : unmanaged, INumber<T>
    {
        ref T src = ref MemoryMarshal.GetReference(x);
        var (te, to) = Split(ref Unsafe.Add(ref src, top), width);
        var (be, bo) = Split(ref Unsafe.Add(ref src, top + w), width);
        var ie = Vector256.Create(T.CreateTruncating(top)) + Vector256<T>.Indices * T.CreateTruncating(2);
        var one = Vector256<T>.One;
        var m = te;
        var mi = ie;
        Take(to, ie + one, ref m, ref mi);
        ie += Vector256.Create(T.CreateTruncating(w));
        Take(be, ie, ref m, ref mi);
        Take(bo, ie + one, ref m, ref mi);
        Store(m, mi, ref MemoryMarshal.GetReference(y[outAt..(outAt + width)]), ref MemoryMarshal.GetReference(index[outAt..(outAt + width)]), width);
    }

    /// <summary>The scalar rule on lanes: v replaces the running maximum when larger, or when v is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Take<T>(Vector256<T> v, Vector256<T> vi, ref Vector256<T> m, ref Vector256<T> mi)
    {
        var take = Vector256.GreaterThan(v, m) | ~Vector256.Equals(v, v);
        m = Vector256.ConditionalSelect(take, v, m);
        mi = Vector256.ConditionalSelect(take, vi, mi);
    }

    /// <summary>2k consecutive elements as (even columns, odd columns) in the low k lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector256<T> Even, Vector256<T> Odd) Split<T>(ref T at, int width)
    {
        if (typeof(T) == typeof(float))
        {
            if (width == 8)
            {
                var s = Vector512.Shuffle(Vector512.LoadUnsafe(ref Unsafe.As<T, float>(ref at)),
                    Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15));
                return (s.GetLower().As<float, T>(), s.GetUpper().As<float, T>());
            }
            var h = Vector256.Shuffle(Vector256.LoadUnsafe(ref Unsafe.As<T, float>(ref at)), Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7));
            return (h.GetLower().ToVector256Unsafe().As<float, T>(), h.GetUpper().ToVector256Unsafe().As<float, T>());
        }
        if (width == 4)
        {
            var s = Vector512.Shuffle(Vector512.LoadUnsafe(ref Unsafe.As<T, double>(ref at)), Vector512.Create(0L, 2, 4, 6, 1, 3, 5, 7));
            return (s.GetLower().As<double, T>(), s.GetUpper().As<double, T>());
        }
        var d = Vector256.Shuffle(Vector256.LoadUnsafe(ref Unsafe.As<T, double>(ref at)), Vector256.Create(0L, 2, 1, 3));
        return (d.GetLower().ToVector256Unsafe().As<double, T>(), d.GetUpper().ToVector256Unsafe().As<double, T>());
    }

    /// <summary>Writes the low k lanes: maxima and their positions (converted back to int32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store<T>(Vector256<T> m, Vector256<T> mi, ref T y, ref int index, int width)
    {
        if (typeof(T) == typeof(float))
        {
            var positions = Vector256.ConvertToInt32(mi.As<T, float>());
            if (width == 8)
            {
                m.StoreUnsafe(ref y);
                positions.StoreUnsafe(ref index);
            }
            else
            {
                m.GetLower().StoreUnsafe(ref y);
                positions.GetLower().StoreUnsafe(ref index);
            }
            return;
        }
        var wide = Vector256.ConvertToInt64(mi.As<T, double>());
        if (width == 4)
        {
            m.StoreUnsafe(ref y);
            Vector128.Narrow(wide.GetLower(), wide.GetUpper()).StoreUnsafe(ref index);
        }
        else
        {
            m.GetLower().StoreUnsafe(ref y);
            index = (int)wide.GetElement(0);
            Unsafe.Add(ref index, 1) = (int)wide.GetElement(1);
        }
    }
}
