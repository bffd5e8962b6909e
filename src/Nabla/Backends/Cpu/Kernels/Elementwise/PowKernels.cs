using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Nabla.Primitives.Elementwise;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="Pow"/>: TensorPrimitives.Pow on floats (a broadcast operand as its scalar
/// overload), repeated squaring on integers.
/// </summary>
internal readonly struct PowKernel : IBinaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
            Floats(MemoryMarshal.Cast<T, float>(a), sa, MemoryMarshal.Cast<T, float>(b), sb, MemoryMarshal.Cast<T, float>(y));
        else if (typeof(T) == typeof(double))
            Floats(MemoryMarshal.Cast<T, double>(a), sa, MemoryMarshal.Cast<T, double>(b), sb, MemoryMarshal.Cast<T, double>(y));
        else
            for (int i = 0, ia = 0, ib = 0; i < y.Length; i++, ia += sa, ib += sb) y[i] = IntegerPow(a[ia], b[ib]);
    }

    static void Floats<F>(ReadOnlySpan<F> a, int sa, ReadOnlySpan<F> b, int sb, Span<F> y) where F : unmanaged, IPowerFunctions<F>
    {
        if (sa == 0 && sb == 0) { y.Fill(F.Pow(a[0], b[0])); return; }
        if (y.Length < FloatKernels.MinRun) { ShortPow(a, sa, b, sb, y); return; }
        if (sa == 1 && sb == 1) TensorPrimitives.Pow(a, b, y);
        else if (sa == 1) TensorPrimitives.Pow(a, b[0], y);
        else TensorPrimitives.Pow(a[0], b, y);
    }

    // As FloatKernels.Whole for two operands: padded with ones (1^1 is finite), so that the vector lanes compute every
    // run, however short.
    static void ShortPow<F>(ReadOnlySpan<F> a, int sa, ReadOnlySpan<F> b, int sb, Span<F> y) where F : unmanaged, IPowerFunctions<F>
    {
        Span<F> pa = stackalloc F[FloatKernels.MinRun], pb = stackalloc F[FloatKernels.MinRun], py = stackalloc F[FloatKernels.MinRun];
        pa.Fill(F.One);
        pb.Fill(F.One);
        for (int i = 0; i < y.Length; i++)
        {
            pa[i] = a[i * sa];
            pb[i] = b[i * sb];
        }
        TensorPrimitives.Pow(pa, pb, py);
        py[..y.Length].CopyTo(y);
    }

    /// <summary>a^b by repeated squaring for b ≥ 0 (wrapping on overflow, as integer maths does).</summary>
    internal static T IntegerPow<T>(T a, T b) where T : INumber<T>
    {
        // NB: unreachable through the front end, which rejects negative integer exponents; the
        // value is 1/a^|b| truncated toward zero so the kernel stays total.
        if (b < T.Zero) return a == T.One ? T.One : a == -T.One ? (T.IsEvenInteger(b) ? T.One : -T.One) : T.Zero;
        T result = T.One;
        T two = T.One + T.One;
        while (b > T.Zero)
        {
            if (!T.IsEvenInteger(b)) result *= a;
            a *= a;
            b /= two;
        }
        return result;
    }
}

/// <summary>
/// CPU kernel of <see cref="PowScalar"/>: x^p for the op's constant p. Floats take plain IEEE operations for the
/// exponents PyTorch's pow_tensor_scalar_optimized_kernel and pow_tensor_scalar_kernel special-case (see
/// <see cref="PowForms"/>), TensorPrimitives.Pow otherwise; integers, for a whole p ≥ 0 only, repeated squaring.
/// </summary>
internal static class PowScalarKernel
{
    // The runs are extension methods bound to the op, so a call allocates one delegate and no closure.
    public static Tensor Run(PowScalar op, Tensor x) => x.DType switch
    {
        DType.Float32 => ElementwiseRuns.Unary<float>(x, op.Float32),
        DType.Float64 => ElementwiseRuns.Unary<double>(x, op.Float64),
        // The table has integer kernels, but only whole p ≥ 0 keeps an integer result.
        DType.Int32 when op.SupportsIntegers => ElementwiseRuns.Unary<int>(x, op.Integers),
        DType.Int64 when op.SupportsIntegers => ElementwiseRuns.Unary<long>(x, op.Integers),
        _ => throw new NotSupportedException($"{op.Name}: no kernel for dtype {x.DType.TorchName()}"),
    };

    static void Float32(this PowScalar op, ReadOnlySpan<float> x, Span<float> y) => Floats(x, (float)op.Exponent, y);

    static void Float64(this PowScalar op, ReadOnlySpan<double> x, Span<double> y) => Floats(x, op.Exponent, y);

    static void Integers<T>(this PowScalar op, ReadOnlySpan<T> x, Span<T> y) where T : INumber<T>
    {
        var e = T.CreateTruncating(op.Exponent);
        for (int i = 0; i < y.Length; i++) y[i] = PowKernel.IntegerPow(x[i], e);
    }

    /// <summary>y = x^p on floats (float32 passes p rounded to float, as the op's kernel does); y may be x.</summary>
    internal static void Floats<F>(ReadOnlySpan<F> x, F p, Span<F> y) where F : unmanaged, INumber<F>, IPowerFunctions<F>
    {
        switch (PowForms.Of(double.CreateTruncating(p)))
        {
            case PowForm.Identity: x.CopyTo(y); break;
            case PowForm.Square: SimdDriver.Unary<F, PowForms.Square<F>>(x, y); break;
            case PowForm.Cube: SimdDriver.Unary<F, PowForms.Cube<F>>(x, y); break;
            case PowForm.Sqrt: SimdDriver.Unary<F, SqrtKernel.Op<F>>(x, y); break;
            case PowForm.Reciprocal: SimdDriver.Unary<F, PowForms.Reciprocal<F>>(x, y); break;
            case PowForm.InverseSquare: SimdDriver.Unary<F, PowForms.InverseSquare<F>>(x, y); break;
            case PowForm.InverseSqrt: SimdDriver.Unary<F, PowForms.InverseSqrt<F>>(x, y); break;
            default:
                if (y.Length >= FloatKernels.MinRun) TensorPrimitives.Pow(x, p, y);
                else FloatKernels.Whole(x, y, (xs, ys) => TensorPrimitives.Pow(xs, p, ys));
                break;
        }
    }
}

/// <summary>How <see cref="PowScalarKernel"/> computes x^p on floats for a given p.</summary>
internal enum PowForm { General, Identity, Square, Cube, Sqrt, Reciprocal, InverseSquare, InverseSqrt }

/// <summary>
/// The exponents x^p takes with plain IEEE operations, as PyTorch's CPU pow(tensor, scalar) does: 2 → x·x,
/// 3 → x·x·x, 0.5 → √x, -1 → 1/x, -2 → 1/(x·x), -0.5 → 1/√x (each lane on its own, so the scalar tail and the
/// vector lanes agree and the fused kernels can run the same vector forms); 1 copies x.
/// </summary>
internal static class PowForms
{
    /// <summary>The form for exponent <paramref name="p"/> (float32 callers pass p already rounded to float).</summary>
    public static PowForm Of(double p) => p switch
    {
        1 => PowForm.Identity,
        2 => PowForm.Square,
        3 => PowForm.Cube,
        0.5 => PowForm.Sqrt,
        -1 => PowForm.Reciprocal,
        -2 => PowForm.InverseSquare,
        -0.5 => PowForm.InverseSqrt,
        _ => PowForm.General,
    };

    public readonly struct Square<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T x) => x * x;
        public static Vector128<T> Invoke(Vector128<T> x) => x * x;
        public static Vector256<T> Invoke(Vector256<T> x) => x * x;
        public static Vector512<T> Invoke(Vector512<T> x) => x * x;
    }

    public readonly struct Cube<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T x) => x * x * x;
        public static Vector128<T> Invoke(Vector128<T> x) => x * x * x;
        public static Vector256<T> Invoke(Vector256<T> x) => x * x * x;
        public static Vector512<T> Invoke(Vector512<T> x) => x * x * x;
    }

    public readonly struct Reciprocal<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T x) => T.One / x;
        public static Vector128<T> Invoke(Vector128<T> x) => Vector128<T>.One / x;
        public static Vector256<T> Invoke(Vector256<T> x) => Vector256<T>.One / x;
        public static Vector512<T> Invoke(Vector512<T> x) => Vector512<T>.One / x;
    }

    public readonly struct InverseSquare<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T x) => T.One / (x * x);
        public static Vector128<T> Invoke(Vector128<T> x) => Vector128<T>.One / (x * x);
        public static Vector256<T> Invoke(Vector256<T> x) => Vector256<T>.One / (x * x);
        public static Vector512<T> Invoke(Vector512<T> x) => Vector512<T>.One / (x * x);
    }

    public readonly struct InverseSqrt<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T x) => T.One / SqrtKernel.Op<T>.Invoke(x);
        public static Vector128<T> Invoke(Vector128<T> x) => Vector128<T>.One / Vector128.Sqrt(x);
        public static Vector256<T> Invoke(Vector256<T> x) => Vector256<T>.One / Vector256.Sqrt(x);
        public static Vector512<T> Invoke(Vector512<T> x) => Vector512<T>.One / Vector512.Sqrt(x);
    }
}
