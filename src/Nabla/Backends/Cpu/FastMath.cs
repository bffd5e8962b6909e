using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>A float32 vector kernel at the two widths <see cref="FastMath"/> drives.</summary>
internal interface IFastKernel
{
    static abstract Vector512<float> Invoke(Vector512<float> x);
    static abstract Vector256<float> Invoke(Vector256<float> x);
}

/// <summary>
/// float32 transcendental kernels evaluated in float (TensorPrimitives widens float exp/tanh to double,
/// which halves its throughput; see the elementwise_kernels rows in bench/README.md). Accuracy, checked by dense sweeps against double in
/// FastMathTests: exp within 1 ulp, tanh within 1.81 ulp and sigmoid within 2.40 (every float checked), erf within about 2-3 ulp, GELU within a few ulp where
/// its value is not tiny (2.01 ulp for |x| &lt; 4, where it runs on a piecewise table).
/// Special values: exp overflows to +Inf above ln(FLT_MAX) and underflows through
/// the denormals to 0 below about -103.97 as IEEE expf; tanh saturates to ±1 exactly; sigmoid uses
/// e^(-|x|), so it never overflows; NaN stays NaN.
/// <para>
/// Every element, the last ones included, goes through the same vector code: a tail shorter than a
/// vector is copied into a padded buffer. So a result never depends on where an element sits in its run,
/// and results are the same whatever the thread count (the chunking only moves run boundaries).
/// Vector512 where accelerated, else Vector256 (which the runtime emulates element by element where
/// not even that is accelerated: slow but the same numbers up to FMA availability).
/// </para>
/// </summary>
internal static class FastMath
{
    // exp: x = k ln2 + r, |r| ≤ ln2/2. ln2 is split so k·Ln2Hi is exact for |k| ≤ 2^8 (Cody-Waite).
    internal const float Log2E = 1.44269504f;
    internal const float Ln2Hi = 0.693145752f;              // 0x1.62e4p-1: 16 significant bits
    internal const float Ln2Lo = 1.42860677e-06f;           // ln2 - Ln2Hi
    // Inputs are clamped to [ExpMin, ExpMax] (the result is already 0 / Inf outside) so k stays finite.
    internal const float ExpMax = 89f, ExpMin = -104f;
    // e^r by its Taylor polynomial to degree 7: the truncation error r^8/8! ≤ 5.2e-9 relative (< 0.1 ulp).
    internal const float E2 = 1f / 2, E3 = 1f / 6, E4 = 1f / 24, E5 = 1f / 120, E6 = 1f / 720, E7 = 1f / 5040;

    // tanh(a) = h/(1 + h), h = (e^(2a) - 1)/2, for a = |x| clamped to TanhMax (tanh rounds to 1 beyond
    // 9.011). h without cancellation: a = k·ln2/2 + r with k = floor(a·2log2(e)), so r ∈ [0, ln2/2) and
    // every term of h = 2^k·(e^(2r) - 1)/2 + (2^k - 1)/2 is ≥ 0. ln2/2 as one float: a - k·Ln2Half is
    // exact (both are multiples of 2^-25 there), and Ln2Half's own error (2.7e-9 relative) moves e^(2a) by
    // at most 2.7e-9·2k, which only matters for large k where tanh no longer depends on h's last bits.
    // (e^(2r) - 1)/2 = r + r²·H(r), H of degree 4 (minimax for the relative error of e^(2r) - 1 on
    // [0, ln2/2]: 1.4e-8, coefficients refit after each rounding to float).
    // Below TanhFix, y = h - h·y0 with y0 = h/(1 + h) rounded: y0's error (mostly the rounding of 1 + h)
    // enters scaled by h ≤ 0.59, so h's own rounding is what is left. Measured over every float in
    // [0, 11]: at most 1.81 ulp (1.0 for |x| < 2^-14, 1.33 below 2^-9).
    internal const float TanhMax = 9.1f, TanhFix = 0.5f;
    internal const float TwoLog2E = 2.88539008f, Ln2Half = 0.346573591f;
    internal const float H0 = 2 * 0.5000009f, H1 = 4 * 0.16664769f, H2 = 8 * 0.04179485f, H3 = 16 * 0.0079625845f, H4 = 32 * 0.001860393f;

    // sigmoid's e^(-|x|): the reduction of exp above, then e^r = 1 + r + r²·S(r) with S of degree 4
    // (minimax for the relative error on [-ln2/2, ln2/2] after rounding to float: 3.1e-9).
    internal const float S2 = 0.49999994f, S3 = 0.16666521f, S4 = 0.041668262f, S5 = 0.008368669f, S6 = 0.0013821024f;

    // erf(x) = x·P(x²) for |x| < ErfSmall (relative error 4e-10).
    internal const float ErfSmall = 0.921875f;
    internal const float F0 = 1.1283792f, F1 = -0.37612635f, F2 = 0.11283696f, F3 = -0.026859399f,
        F4 = 0.0052010324f, F5 = -0.0008142704f, F6 = 8.3701E-05f;

    // erfc(a) = t·exp(Q(t - QCenter) - a²) with t = 1/(1 + a/2), a ∈ [0, ErfcMaxA] (the form of the
    // Numerical Recipes erfcc; coefficients refitted here: minimax in Q, max relative error 1.3e-8).
    internal const float ErfcMaxA = 13.5f, QCenter = 0.5645161f;
    internal const float Q0 = -0.5843164f, Q1 = 1.3648921f, Q2 = 0.11359877f, Q3 = -0.40372378f, Q4 = -0.06280136f,
        Q5 = 0.29899827f, Q6 = -0.017127939f, Q7 = -0.26198635f, Q8 = 0.102010414f, Q9 = 0.16450277f, Q10 = -0.11013243f;
    // GELU clamps x to ±GeluClamp (= ErfcMaxA·√2 rounded down): beyond it Φ(x) is exactly 0 or 1 in float.
    internal const float GeluClamp = 19.0f;
    internal const float InvSqrt2 = 0.70710678f;
    // Near 0 GELU takes Φ(x) = 1/2 + x·G(x²/2), G = P/(2√2) with P erf's polynomial above (erf(a) = a·P(a²)
    // at a = x/√2; |x| < GeluSmall keeps a < ErfSmall): no rounding of erfc's 1 - c/2 there.
    internal const float GeluSmall = 1.3f;
    internal const float G0 = F0 * InvSqrt2 * 0.5f, G1 = F1 * InvSqrt2 * 0.5f, G2 = F2 * InvSqrt2 * 0.5f,
        G3 = F3 * InvSqrt2 * 0.5f, G4 = F4 * InvSqrt2 * 0.5f, G5 = F5 * InvSqrt2 * 0.5f, G6 = F6 * InvSqrt2 * 0.5f;

    // GELU's table (FastMathTables.GeluTable): GeluRowsPerUnit rows per unit of |x| up to GeluTableEnd;
    // beyond, Φ comes from erfc as above. The row: t = 4|x| - 1/2 (exact from |x| = 1/32 on; below, its
    // rounding moves Φ by < 2e-9 relative), rounded to an integer by adding RoundMagic = 1.5·2^23, whose
    // low mantissa bits then hold round(t), the row the permute reads; v = t - round(t) is exact.
    internal const float GeluRowsPerUnit = 4f, GeluTableEnd = 4f, RoundMagic = 12582912f;

    /// <summary>y = eˣ.</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y) => Map<ExpKernel>(x, y);

    /// <summary>y = tanh(x).</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Map<TanhKernel>(x, y);

    /// <summary>y = 1/(1 + e⁻ˣ).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Map<SigmoidKernel>(x, y);

    /// <summary>y = erf(x).</summary>
    public static void Erf(ReadOnlySpan<float> x, Span<float> y) => Map<ErfKernel>(x, y);

    /// <summary>y = x·Φ(x) = x/2·(1 + erf(x/√2)) (exact GELU).</summary>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            Map<GeluKernel>(x, y);
            return;
        }
        // Its own loop so the table's columns are loaded into registers once per run (Map's
        // TK.Invoke(vector) would reload them for every vector); the tail as in Map.
        int i = FastMath512.GeluRun(x, y);
        if (i < y.Length) Tail512<GeluKernel>(x[i..], y[i..]);
    }

    /// <summary>Runs <typeparamref name="TK"/> over x into y (same length; y may be x).</summary>
    public static void Map<TK>(ReadOnlySpan<float> x, Span<float> y) where TK : IFastKernel
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                TK.Invoke(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            if (i < n) Tail512<TK>(x[i..], y[i..]);
        }
        else
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                TK.Invoke(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            if (i < n) Tail256<TK>(x[i..], y[i..]);
        }
    }

    // The padding is zeros: every kernel is finite there, and those lanes are dropped.
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Tail512<TK>(ReadOnlySpan<float> x, Span<float> y) where TK : IFastKernel
    {
        Span<float> buffer = stackalloc float[Vector512<float>.Count];
        buffer.Clear();
        x.CopyTo(buffer);
        TK.Invoke(Vector512.Create<float>(buffer)).CopyTo(buffer);
        buffer[..y.Length].CopyTo(y);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Tail256<TK>(ReadOnlySpan<float> x, Span<float> y) where TK : IFastKernel
    {
        Span<float> buffer = stackalloc float[Vector256<float>.Count];
        buffer.Clear();
        x.CopyTo(buffer);
        TK.Invoke(Vector256.Create<float>(buffer)).CopyTo(buffer);
        buffer[..y.Length].CopyTo(y);
    }
}

internal readonly struct ExpKernel : IFastKernel
{
    public static Vector512<float> Invoke(Vector512<float> x) => FastMath512.Exp(x);
    public static Vector256<float> Invoke(Vector256<float> x) => FastMath256.Exp(x);
}

internal readonly struct TanhKernel : IFastKernel
{
    public static Vector512<float> Invoke(Vector512<float> x) => FastMath512.Tanh(x);
    public static Vector256<float> Invoke(Vector256<float> x) => FastMath256.Tanh(x);
}

internal readonly struct SigmoidKernel : IFastKernel
{
    public static Vector512<float> Invoke(Vector512<float> x) => FastMath512.Sigmoid(x);
    public static Vector256<float> Invoke(Vector256<float> x) => FastMath256.Sigmoid(x);
}

internal readonly struct ErfKernel : IFastKernel
{
    public static Vector512<float> Invoke(Vector512<float> x) => FastMath512.Erf(x);
    public static Vector256<float> Invoke(Vector256<float> x) => FastMath256.Erf(x);
}

internal readonly struct GeluKernel : IFastKernel
{
    public static Vector512<float> Invoke(Vector512<float> x) => FastMath512.Gelu(x);
    public static Vector256<float> Invoke(Vector256<float> x) => FastMath256.Gelu(x);
}
