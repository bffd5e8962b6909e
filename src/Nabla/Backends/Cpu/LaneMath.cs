using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>
/// TensorPrimitives' exp, tanh, sin, cos and tan computed so that every element's result depends on that element
/// alone. TensorPrimitives picks one algorithm per vector from the largest (or smallest) magnitude among its lanes:
/// exp beyond ±708, tan beyond 2²³ (2²⁰ in float), sin/cos beyond 5·10⁶ or NaN/±∞ send the whole vector to the scalar
/// Math function, and sin/cos have a polynomial for vectors all under π/4 (a shorter one under 2⁻²⁷) and a range
/// reduction otherwise. The algorithms differ by an ulp in places, so a lane's value depended on its neighbours,
/// i.e. on where a run started (the buffer's alignment, a thread's cut): the same softmax with a causal mask's -∞
/// changed in its last bit from call to call. Here a run whose magnitudes span several of those ranges is sorted by
/// range, each range computed on its own (the top one with the scalar function), and put back. The bounds are
/// TensorPrimitives' own (System.Numerics.Tensors 11, from its source) or a little inside them;
/// tests/Nabla.Tests/Backends/LaneIndependenceTests.cs checks every kernel on every run, so a package update that
/// moves them fails there, not silently.
/// </summary>
internal static class LaneMath
{
    // Exclusive upper bounds of |x| per range, ascending; |x| at or above the last one (and NaN) is computed alone.
    static readonly double[] ExpBounds64 = [700];
    static readonly double[] TanhBounds64 = [350];
    static readonly double[] TanBounds64 = [8e6];
    static readonly double[] TanBounds32 = [1e6];
    static readonly double[] SinCosBounds64 =
        [BitConverter.Int64BitsToDouble(4548635623644200960), BitConverter.Int64BitsToDouble(4605249457297304857), 4.9e6];
    static readonly double[] SinCosBounds32 =
        [BitConverter.Int32BitsToSingle(1006632960), BitConverter.Int32BitsToSingle(1061752796), 4.9e6];

    public static void Exp<F>(ReadOnlySpan<F> x, Span<F> y) where F : unmanaged, IFloatingPointIeee754<F>
    {
        if (typeof(F) == typeof(double)) Map(x, y, ExpBounds64, TensorPrimitives.Exp, v => F.Exp(v));
        else FloatKernels.Whole(x, y, TensorPrimitives.Exp);    // float exp has no ranges: it is computed in double
    }

    public static void Tanh<F>(ReadOnlySpan<F> x, Span<F> y) where F : unmanaged, IFloatingPointIeee754<F>
    {
        if (typeof(F) == typeof(double)) Map(x, y, TanhBounds64, TensorPrimitives.Tanh, v => F.Tanh(v));
        else FloatKernels.Whole(x, y, TensorPrimitives.Tanh);
    }

    public static void Sin<F>(ReadOnlySpan<F> x, Span<F> y) where F : unmanaged, IFloatingPointIeee754<F> =>
        Map(x, y, SinCosBounds<F>(), TensorPrimitives.Sin, v => F.Sin(v));

    public static void Cos<F>(ReadOnlySpan<F> x, Span<F> y) where F : unmanaged, IFloatingPointIeee754<F> =>
        Map(x, y, SinCosBounds<F>(), TensorPrimitives.Cos, v => F.Cos(v));

    public static void Tan<F>(ReadOnlySpan<F> x, Span<F> y) where F : unmanaged, IFloatingPointIeee754<F> =>
        Map(x, y, typeof(F) == typeof(double) ? TanBounds64 : TanBounds32, TensorPrimitives.Tan, v => F.Tan(v));

    static double[] SinCosBounds<F>() => typeof(F) == typeof(double) ? SinCosBounds64 : SinCosBounds32;

    /// <summary>
    /// y = vector(x) when every |x| lies in one range (the smallest and largest magnitude tell: two extra reads of x);
    /// else range by range through scratch, and <paramref name="scalar"/> for the top one. y may be x.
    /// </summary>
    static void Map<F>(ReadOnlySpan<F> x, Span<F> y, double[] bounds, SpanMap<F> vector, Func<F, F> scalar)
        where F : unmanaged, IFloatingPointIeee754<F>
    {
        if (x.IsEmpty) return;
        int low = RangeOf(TensorPrimitives.MinMagnitude(x), bounds), high = RangeOf(TensorPrimitives.MaxMagnitude(x), bounds);
        if (low == high && high < bounds.Length) { FloatKernels.Whole(x, y, vector); return; }   // NaN is in the top range
        var pool = ArrayPool<F>.Shared;
        var original = pool.Rent(x.Length);
        var gathered = pool.Rent(x.Length);
        var results = pool.Rent(x.Length);
        try
        {
            var xs = original.AsSpan(0, x.Length);
            x.CopyTo(xs);
            for (int range = 0; range < bounds.Length; range++)
            {
                int n = 0;
                for (int i = 0; i < xs.Length; i++)
                    if (RangeOf(xs[i], bounds) == range) gathered[n++] = xs[i];
                if (n == 0) continue;
                FloatKernels.Whole(gathered.AsSpan(0, n), results.AsSpan(0, n), vector);
                for (int i = 0, k = 0; i < xs.Length; i++)
                    if (RangeOf(xs[i], bounds) == range) y[i] = results[k++];
            }
            for (int i = 0; i < xs.Length; i++)
                if (RangeOf(xs[i], bounds) == bounds.Length) y[i] = scalar(xs[i]);
        }
        finally
        {
            pool.Return(original);
            pool.Return(gathered);
            pool.Return(results);
        }
    }

    static int RangeOf<F>(F v, double[] bounds) where F : IFloatingPointIeee754<F>
    {
        double magnitude = double.CreateTruncating(F.Abs(v));
        for (int i = 0; i < bounds.Length; i++)
            if (magnitude < bounds[i]) return i;
        return bounds.Length;   // NaN fails every test: the top range
    }
}
