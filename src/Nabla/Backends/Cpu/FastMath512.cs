using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Nabla.Backends.Cpu.FastMath;
using V = System.Runtime.Intrinsics.Vector512<float>;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The <see cref="FastMath"/> kernels on Vector512 (see there for accuracy and special values).
/// FastMath256.cs is the same text on Vector256 except <see cref="Pow2"/>.
/// </summary>
internal static class FastMath512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V C(float v) => Vector512.Create(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V Fma(V a, V b, V c) => Vector512.FusedMultiplyAdd(a, b, c);

    /// <summary>p·2^k for integral k in [-151, 129]: vscalefps rounds once, through the denormals and to Inf.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V Pow2(V p, V k) => Avx512F.Scale(p, k);

    /// <summary>
    /// e^(x + lo) for x not NaN (NaN lanes give garbage: callers fix them), |lo| tiny: a second,
    /// low-order part of the argument that is added after the exact reduction, so x + lo may carry
    /// more than float precision.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V ExpCore(V x, V lo, bool clampLow = true, bool clampHigh = true)
    {
        // The flags are constants at every call: a caller whose x has a known sign skips a clamp.
        if (clampLow) x = Vector512.MaxNative(x, C(ExpMin));
        if (clampHigh) x = Vector512.MinNative(x, C(ExpMax));
        var k = Vector512.Round(x * C(Log2E));
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
    public static V Exp(V x) => Vector512.ConditionalSelect(Vector512.IsNaN(x), x, ExpCore(x, V.Zero));

    /// <summary>
    /// tanh(x) = ±h/(1 + h), h = (e^(2|x|) - 1)/2 from |x| = k·ln2/2 + r, r ≥ 0 (see <see cref="FastMath"/>
    /// for the constants and the error). One division, no table; NaN stays NaN, ±Inf give ±1, -0 gives -0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // into the generated fused kernels
    public static V Tanh(V x)
    {
        // NaN as the second operand of vminps comes out as NaN and then propagates.
        var a = Vector512.MinNative(C(TanhMax), Vector512.Abs(x));
        var k = Vector512.Floor(a * C(TwoLog2E));   // 0..26
        var r = Fma(k, C(-Ln2Half), a);   // exact
        var hr = Fma(r * r, Fma(Fma(Fma(Fma(C(H4), r, C(H3)), r, C(H2)), r, C(H1)), r, C(H0)), r);   // (e^(2r) - 1)/2
        var p2 = Avx512F.Scale(V.One, k);   // 2^k, exact
        var h = Fma(p2, hr, Fma(p2, C(0.5f), C(-0.5f)));   // (2^k - 1)/2 is exact
        var y0 = h / (h + V.One);
        var y = Vector512.ConditionalSelect(Vector512.LessThan(a, C(TanhFix)), Avx512F.FusedMultiplyAddNegated(h, y0, h), y0);
        return Vector512.CopySign(y, x);   // after the select: tanh(-0) = -0
    }

    /// <summary>
    /// 1/(1 + e⁻ˣ) from e = e^(-|x|) ≤ 1: 1/(1 + e) for x ≥ 0, e/(1 + e) below. e by the exp reduction
    /// with a degree-6 polynomial (S2..S6); NaN goes through every step (vmaxps returns its second
    /// operand for NaN), so no select is spent on it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // into the generated fused kernels
    public static V Sigmoid(V x)
    {
        var n = Vector512.MaxNative(C(ExpMin), -Vector512.Abs(x));
        var k = Vector512.Round(n * C(Log2E));
        var r = Fma(k, C(-Ln2Hi), n);   // exact
        r = Fma(k, C(-Ln2Lo), r);
        var p = Fma(Fma(Fma(Fma(C(S6), r, C(S5)), r, C(S4)), r, C(S3)), r, C(S2));
        var e = Avx512F.Scale(Fma(Fma(p, r, V.One), r, V.One), k);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, V.Zero), e, V.One) / (V.One + e);
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
        var a = Vector512.Abs(x);
        var s = x * x;
        var p = Fma(Fma(Fma(Fma(Fma(Fma(C(F6), s, C(F5)), s, C(F4)), s, C(F3)), s, C(F2)), s, C(F1)), s, C(F0));
        var small = x * p;
        // erfc(4) = 1.5e-8 is below half an ulp of 1: clamping there keeps ±Inf finite inside.
        var ac = Vector512.MinNative(a, C(4f));
        var big = Vector512.CopySign(V.One - Erfc(ac, ac * ac, V.Zero), x);
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, C(ErfSmall)), big, small);   // NaN: small
    }

    /// <summary>Column k (c0..c6) of <see cref="FastMathTables.GeluTable"/>: the 16 rows in one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V Column(int k) => Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(FastMathTables.GeluTable), (nuint)(16 * k));

    /// <summary>x·Φ(x) for one vector (the tail, tests): <see cref="GeluRun"/>'s code with the table loaded here.</summary>
    public static V Gelu(V x) => Gelu(x, Column(0), Column(1), Column(2), Column(3), Column(4), Column(5), Column(6));

    /// <summary>
    /// GELU over the whole vectors of x into y, the table's columns held in registers; returns how many
    /// elements it wrote (the caller finishes the tail).
    /// </summary>
    public static int GeluRun(ReadOnlySpan<float> x, Span<float> y)
    {
        V c0 = Column(0), c1 = Column(1), c2 = Column(2), c3 = Column(3), c4 = Column(4), c5 = Column(5), c6 = Column(6);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        for (; i <= y.Length - V.Count; i += V.Count)
            Gelu(Vector512.LoadUnsafe(ref xr, (nuint)i), c0, c1, c2, c3, c4, c5, c6).StoreUnsafe(ref yr, (nuint)i);
        return i;
    }

    /// <summary>
    /// x·Φ(x) = relu(x) - |x|·Φ(-|x|), one rounding, where |x| &lt; GeluTableEnd: Φ(-|x|) from the table
    /// row round(4|x| - 1/2) (a vpermps of each column; it reads the index's low 4 bits, which the
    /// RoundMagic sum holds). For x ≥ 0 only Φ(-|x|)'s absolute error counts. Other lanes (and NaN) take
    /// <see cref="GeluErfc"/>, computed only when a vector has such a lane. Each lane's value depends on
    /// its own x alone; -0 gives -0 (vmaxps returns its second operand for two zeros).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V Gelu(V x, V c0, V c1, V c2, V c3, V c4, V c5, V c6)
    {
        var a = Vector512.Abs(x);
        var t = Fma(a, C(GeluRowsPerUnit), C(-0.5f));
        var u = t + C(RoundMagic);
        var j = u.AsInt32();
        var v = t - (u - C(RoundMagic));   // exact, in [-1/2, 1/2]
        var p = Fma(Avx512F.PermuteVar16x32(c6, j), v, Avx512F.PermuteVar16x32(c5, j));
        p = Fma(p, v, Avx512F.PermuteVar16x32(c4, j));
        p = Fma(p, v, Avx512F.PermuteVar16x32(c3, j));
        p = Fma(p, v, Avx512F.PermuteVar16x32(c2, j));
        p = Fma(p, v, Avx512F.PermuteVar16x32(c1, j));
        p = Fma(p, v, Avx512F.PermuteVar16x32(c0, j));
        var y = Avx512F.FusedMultiplyAddNegated(a, p, Vector512.MaxNative(V.Zero, x));
        return Vector512.LessThanAll(a, C(GeluTableEnd)) ? y : Vector512.ConditionalSelect(Vector512.LessThan(a, C(GeluTableEnd)), y, GeluErfc(x));
    }

    /// <summary>
    /// x·Φ(x) with Φ(x) = erfc(-x/√2)/2: 1 - c/2 for x ≥ 0 and c/2 below, c = erfc(|x|/√2), so the
    /// negative tail keeps its relative accuracy (no 1 + erf cancellation). x²/2 enters the exponent as
    /// an exact float pair. x = ±Inf gives +Inf / NaN (as x·Φ(x) in IEEE arithmetic), NaN stays NaN.
    /// </summary>
    // Inlined (into a cold block): a call inside GeluRun's loop would make the JIT reload the table's
    // columns from the stack every iteration, as calls clobber every vector register.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static V GeluErfc(V x)
    {
        var xc = Vector512.MinNative(Vector512.MaxNative(x, C(-GeluClamp)), C(GeluClamp));
        var h = xc * C(0.5f);
        var sqHi = h * xc;
        var sqLo = Fma(h, xc, -sqHi);
        var half = C(0.5f) * Erfc(Vector512.Abs(xc) * C(InvSqrt2), sqHi, sqLo);
        var phi = Vector512.ConditionalSelect(Vector512.LessThan(xc, V.Zero), half, V.One - half);
        // sqHi = x²/2 rounded: its error is far below G's effect on Φ.
        var g = Fma(Fma(Fma(Fma(Fma(Fma(C(G6), sqHi, C(G5)), sqHi, C(G4)), sqHi, C(G3)), sqHi, C(G2)), sqHi, C(G1)), sqHi, C(G0));
        var small = Fma(xc, g, C(0.5f));
        phi = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(xc), C(GeluSmall)), small, phi);
        return x * phi;
    }
}
