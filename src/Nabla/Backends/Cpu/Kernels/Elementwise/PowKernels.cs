using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
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

    static void Floats<F>(ReadOnlySpan<F> a, int sa, ReadOnlySpan<F> b, int sb, Span<F> y) where F : IPowerFunctions<F>
    {
        if (sa == 1 && sb == 1) TensorPrimitives.Pow(a, b, y);
        else if (sa == 1) TensorPrimitives.Pow(a, b[0], y);
        else if (sb == 1) TensorPrimitives.Pow(a[0], b, y);
        else y.Fill(F.Pow(a[0], b[0]));
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
/// CPU kernel of <see cref="PowScalar"/>: x^p for the op's constant p. Floats take TensorPrimitives (the
/// common squares and roots on their exactly rounded paths); integers, for a whole p ≥ 0 only, repeated
/// squaring.
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

    internal static void Floats<F>(ReadOnlySpan<F> x, F p, Span<F> y) where F : IPowerFunctions<F>, IRootFunctions<F>
    {
        // The common squares and roots take the exactly rounded paths.
        if (p == F.One) x.CopyTo(y);
        else if (p == F.One + F.One) TensorPrimitives.Multiply(x, x, y);
        else if (p == F.One / (F.One + F.One)) TensorPrimitives.Sqrt(x, y);
        else TensorPrimitives.Pow(x, p, y);
    }
}
