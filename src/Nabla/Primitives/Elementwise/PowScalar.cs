using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = x^p for a constant p ; dy = dx·p·x^(p-1) ; gx = gy·p·x^(p-1), and 0 when p = 0 (as PyTorch).
/// Negative x is fine for an integer p ((-2)^3 = -8); a non-integer p gives NaN there. x^2 at 0 has
/// gradient 0. Integer tensors keep their dtype for whole p ≥ 0.
/// </summary>
internal sealed class PowScalar(double p) : ElementwiseUnary
{
    public override string Name => "pow";

    public double Exponent => p;

    public override bool SupportsIntegers => p >= 0 && double.IsFinite(p) && p == Math.Floor(p);

    public override Tensor Derivative(Tensor x, Tensor y) =>
        p == 0 ? Tensor.Zeros(x.Shape.ToArray(), x.DType) : p * x.Pow(p - 1);

    public override double Reference(double x) => Math.Pow(x, p);

    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y)
    {
        if (typeof(T) == typeof(float)) Floats(MemoryMarshal.Cast<T, float>(x), (float)p, MemoryMarshal.Cast<T, float>(y));
        else if (typeof(T) == typeof(double)) Floats(MemoryMarshal.Cast<T, double>(x), p, MemoryMarshal.Cast<T, double>(y));
        else
        {
            var e = T.CreateTruncating(p);
            for (int i = 0; i < y.Length; i++) y[i] = Pow.IntegerPow(x[i], e);
        }
    }

    static void Floats<F>(ReadOnlySpan<F> x, F p, Span<F> y) where F : IPowerFunctions<F>, IRootFunctions<F>
    {
        // The common squares and roots take the exactly rounded paths.
        if (p == F.One) x.CopyTo(y);
        else if (p == F.One + F.One) TensorPrimitives.Multiply(x, x, y);
        else if (p == F.One / (F.One + F.One)) TensorPrimitives.Sqrt(x, y);
        else TensorPrimitives.Pow(x, p, y);
    }
}
