using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Nabla.Backends.Cpu.FastMath;
using V = System.Runtime.Intrinsics.Vector256<float>;
using X86Fma = System.Runtime.Intrinsics.X86.Fma;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The <see cref="FastMath"/> kernels on Vector256 (see there for accuracy and special values).
/// FastMath512.cs is the same text on Vector512 except <see cref="Pow2"/>.
/// </summary>
internal static class FastMath256
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V C(float v) => Vector256.Create(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V Fma(V a, V b, V c) => Vector256.FusedMultiplyAdd(a, b, c);

    /// <summary>c - a·b rounded once (vfnmadd where FMA3 is there, the same value otherwise).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V Fnma(V a, V b, V c) => X86Fma.IsSupported ? X86Fma.MultiplyAddNegated(a, b, c) : Vector256.FusedMultiplyAdd(-a, b, c);

    /// <summary>
    /// p·2^k for integral k in [-151, 129] and p in [0.7, 1.5]: two factors 2^(k/2) and 2^(k - k/2) that
    /// are normal floats, so only the second product rounds (once, through the denormals or to Inf).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V Pow2(V p, V k)
    {
        var ki = Vector256.ConvertToInt32(k);
        var k1 = Vector256.ShiftRightArithmetic(ki, 1);
        var s1 = Vector256.ShiftLeft(k1 + Vector256.Create(127), 23).AsSingle();
        var s2 = Vector256.ShiftLeft(ki - k1 + Vector256.Create(127), 23).AsSingle();
        return p * s1 * s2;
    }

    /// <summary>
    /// e^(x + lo) for x not NaN (NaN lanes give garbage: callers fix them), |lo| tiny: a second,
    /// low-order part of the argument that is added after the exact reduction, so x + lo may carry
    /// more than float precision.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V ExpCore(V x, V lo, bool clampLow = true, bool clampHigh = true)
    {
        // The flags are constants at every call: a caller whose x has a known sign skips a clamp.
        if (clampLow) x = Vector256.MaxNative(x, C(ExpMin));
        if (clampHigh) x = Vector256.MinNative(x, C(ExpMax));
        var k = Vector256.Round(x * C(Log2E));
        var r = Fma(k, C(-Ln2Hi), x);   // exact
        r = Fma(k, C(-Ln2Lo), r) + lo;
        var p = Fma(C(E7), r, C(E6));
        p = Fma(p, r, C(E5));
        p = Fma(p, r, C(E4));
        p = Fma(p, r, C(E3));
        p = Fma(p, r, C(E2));
        p = Fma(p, r, V.One);
        p = Fma(p, r, V.One);
        return Pow2(p, k);
    }

    /// <summary>eˣ.</summary>
    public static V Exp(V x) => Vector256.ConditionalSelect(Vector256.IsNaN(x), x, ExpCore(x, V.Zero));

    /// <summary>
    /// tanh(x) = ±h/(1 + h), h = (e^(2|x|) - 1)/2 from |x| = k·ln2/2 + r, r ≥ 0 (see <see cref="FastMath"/>
    /// for the constants and the error). One division, no table; NaN stays NaN, ±Inf give ±1, -0 gives -0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // into the generated fused kernels
    public static V Tanh(V x)
    {
        // NaN as the second operand of vminps comes out as NaN and then propagates.
        var a = Vector256.MinNative(C(TanhMax), Vector256.Abs(x));
        var k = Vector256.Floor(a * C(TwoLog2E));   // 0..26
        var r = Fma(k, C(-Ln2Half), a);   // exact
        var hr = Fma(r * r, Fma(Fma(Fma(Fma(C(H4), r, C(H3)), r, C(H2)), r, C(H1)), r, C(H0)), r);   // (e^(2r) - 1)/2
        var p2 = Vector256.ShiftLeft(Vector256.ConvertToInt32(k) + Vector256.Create(127), 23).AsSingle();   // 2^k, exact
        var h = Fma(p2, hr, Fma(p2, C(0.5f), C(-0.5f)));   // (2^k - 1)/2 is exact
        var y0 = h / (h + V.One);
        var y = Vector256.ConditionalSelect(Vector256.LessThan(a, C(TanhFix)), Fnma(h, y0, h), y0);
        return Vector256.CopySign(y, x);   // after the select: tanh(-0) = -0
    }

    /// <summary>
    /// 1/(1 + e⁻ˣ) from e = e^(-|x|) ≤ 1: 1/(1 + e) for x ≥ 0, e/(1 + e) below. e by the exp reduction
    /// with a degree-6 polynomial (S2..S6); NaN goes through every step (vmaxps returns its second
    /// operand for NaN), so no select is spent on it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // into the generated fused kernels
    public static V Sigmoid(V x)
    {
        var n = Vector256.MaxNative(C(ExpMin), -Vector256.Abs(x));
        var k = Vector256.Round(n * C(Log2E));
        var r = Fma(k, C(-Ln2Hi), n);   // exact
        r = Fma(k, C(-Ln2Lo), r);
        var p = Fma(Fma(Fma(Fma(C(S6), r, C(S5)), r, C(S4)), r, C(S3)), r, C(S2));
        var e = Pow2(Fma(Fma(p, r, V.One), r, V.One), k);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, V.Zero), e, V.One) / (V.One + e);
    }

    /// <summary>erfc(a) for finite a in [0, ErfcMaxA] where a² = sqHi + sqLo (sqLo may be 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V Erfc(V a, V sqHi, V sqLo)
    {
        var t = V.One / Fma(a, C(0.5f), V.One);
        var u = t - C(QCenter);
        var q = Fma(Fma(Fma(Fma(Fma(C(Q10), u, C(Q9)), u, C(Q8)), u, C(Q7)), u, C(Q6)), u, C(Q5));
        q = Fma(Fma(Fma(Fma(Fma(q, u, C(Q4)), u, C(Q3)), u, C(Q2)), u, C(Q1)), u, C(Q0));
        // q - a² as a float pair (Fast2Sum: exact when a² ≥ |q|, and a² < |q| ≤ 1.3 loses < 1 ulp anyway).
        var s = q - sqHi;
        var err = q - (s + sqHi);
        return t * ExpCore(s, err - sqLo, clampHigh: false);   // q - a² ≤ 0
    }

    /// <summary>erf(x): x·P(x²) for |x| &lt; ErfSmall, else ±(1 - erfc(|x|)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // into the generated fused kernels
    public static V Erf(V x)
    {
        var a = Vector256.Abs(x);
        var s = x * x;
        var p = Fma(Fma(Fma(Fma(Fma(Fma(C(F6), s, C(F5)), s, C(F4)), s, C(F3)), s, C(F2)), s, C(F1)), s, C(F0));
        var small = x * p;
        // erfc(4) = 1.5e-8 is below half an ulp of 1: clamping there keeps ±Inf finite inside.
        var ac = Vector256.MinNative(a, C(4f));
        var big = Vector256.CopySign(V.One - Erfc(ac, ac * ac, V.Zero), x);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, C(ErfSmall)), big, small);   // NaN: small
    }

    /// <summary>
    /// Column k (c0..c6) of <see cref="FastMathTables.GeluTable"/> at the rows j (low 4 bits): a gather, or
    /// element by element where AVX2 is missing. The same values as FastMath512's permutes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe V Column(int k, Vector256<int> j)
    {
        j &= Vector256.Create(15);
        ReadOnlySpan<float> table = FastMathTables.GeluTable;
        if (Avx2.IsSupported)
            fixed (float* t = table) return Avx2.GatherVector256(t + 16 * k, j, 4);
        Span<float> column = stackalloc float[Vector256<float>.Count];
        for (int i = 0; i < column.Length; i++) column[i] = table[16 * k + j[i]];
        return Vector256.Create<float>(column);
    }

    /// <summary>
    /// x·Φ(x) = relu(x) - |x|·Φ(-|x|), one rounding, where |x| &lt; GeluTableEnd: Φ(-|x|) from the table
    /// row round(4|x| - 1/2), read from the RoundMagic sum's low bits. For x ≥ 0 only Φ(-|x|)'s absolute
    /// error counts. Other lanes (and NaN) take <see cref="GeluErfc"/>, computed only when a vector has
    /// such a lane. Each lane's value depends on its own x alone; -0 gives -0 (vmaxps returns its second
    /// operand for two zeros).
    /// </summary>
    public static V Gelu(V x)
    {
        var a = Vector256.Abs(x);
        var t = Fma(a, C(GeluRowsPerUnit), C(-0.5f));
        var u = t + C(RoundMagic);
        var j = u.AsInt32();
        var v = t - (u - C(RoundMagic));   // exact, in [-1/2, 1/2]
        var p = Fma(Column(6, j), v, Column(5, j));
        p = Fma(p, v, Column(4, j));
        p = Fma(p, v, Column(3, j));
        p = Fma(p, v, Column(2, j));
        p = Fma(p, v, Column(1, j));
        p = Fma(p, v, Column(0, j));
        var y = Fnma(a, p, Vector256.MaxNative(V.Zero, x));
        return Vector256.LessThanAll(a, C(GeluTableEnd)) ? y : Vector256.ConditionalSelect(Vector256.LessThan(a, C(GeluTableEnd)), y, GeluErfc(x));
    }

    /// <summary>
    /// x·Φ(x) with Φ(x) = erfc(-x/√2)/2: 1 - c/2 for x ≥ 0 and c/2 below, c = erfc(|x|/√2), so the
    /// negative tail keeps its relative accuracy (no 1 + erf cancellation). x²/2 enters the exponent as
    /// an exact float pair. x = ±Inf gives +Inf / NaN (as x·Φ(x) in IEEE arithmetic), NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static V GeluErfc(V x)
    {
        var xc = Vector256.MinNative(Vector256.MaxNative(x, C(-GeluClamp)), C(GeluClamp));
        var h = xc * C(0.5f);
        var sqHi = h * xc;
        var sqLo = Fma(h, xc, -sqHi);
        var half = C(0.5f) * Erfc(Vector256.Abs(xc) * C(InvSqrt2), sqHi, sqLo);
        var phi = Vector256.ConditionalSelect(Vector256.LessThan(xc, V.Zero), half, V.One - half);
        // sqHi = x²/2 rounded: its error is far below G's effect on Φ.
        var g = Fma(Fma(Fma(Fma(Fma(Fma(C(G6), sqHi, C(G5)), sqHi, C(G4)), sqHi, C(G3)), sqHi, C(G2)), sqHi, C(G1)), sqHi, C(G0));
        var small = Fma(xc, g, C(0.5f));
        phi = Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(xc), C(GeluSmall)), small, phi);
        return x * phi;
    }
}
