using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Primitives.Elementwise;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="Elu"/>: eˣ for the whole run on TensorPrimitives (vectorized), then per
/// element x for x &gt; 0, else α·(eˣ - 1); for |x| &lt; 0.5, where eˣ - 1 would lose digits to
/// cancellation, α·expm1(x) in double precision instead.
/// </summary>
internal static class EluKernel
{
    // The runs are extension methods bound to the op, so a call allocates one delegate and no closure.
    public static Tensor Run(Elu op, Tensor x) => x.DType switch
    {
        DType.Float32 => ElementwiseRuns.Unary<float>(x, op.Float32),
        DType.Float64 => ElementwiseRuns.Unary<double>(x, op.Float64),
        _ => throw new NotSupportedException($"{op.Name}: no kernel for dtype {x.DType.TorchName()}"),
    };

    internal static void Float32(this Elu op, ReadOnlySpan<float> x, Span<float> y) => Floats(x, op.Alpha, y);

    internal static void Float64(this Elu op, ReadOnlySpan<double> x, Span<double> y) => Floats(x, op.Alpha, y);

    static void Floats<F>(ReadOnlySpan<F> x, double alpha, Span<F> y) where F : unmanaged, IFloatingPointIeee754<F>
    {
        LaneMath.Exp(x, y);
        var a = F.CreateTruncating(alpha);
        var half = F.CreateTruncating(0.5);
        for (int i = 0; i < y.Length; i++)
        {
            F v = x[i];
            if (v > F.Zero) y[i] = v;
            else if (F.Abs(v) < half) y[i] = F.CreateTruncating(Elu.Evaluate(double.CreateTruncating(v), alpha));
            else y[i] = a * (y[i] - F.One);
        }
    }
}
