using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Primitives.Elementwise;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="Log1p"/>: TensorPrimitives' vector log of 1 + x for the whole run, then per element
/// Goldberg's correction log(u)·x / (u - 1), which cancels the rounding of u = 1 + x (x itself where u rounds to 1).
/// float32 runs the same steps in float.
/// </summary>
internal readonly struct Log1pKernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> =>
        FloatKernels.Run(x, y, Floats, Floats);

    static void Floats<F>(ReadOnlySpan<F> x, Span<F> y) where F : unmanaged, IFloatingPointIeee754<F>
    {
        TensorPrimitives.Add(x, F.One, y);
        TensorPrimitives.Log(y, y);
        for (int i = 0; i < y.Length; i++)
        {
            F v = x[i], u = F.One + v;
            if (u == F.One) y[i] = v;
            else if (F.IsFinite(u)) y[i] = y[i] * v / (u - F.One);
        }
    }
}

/// <summary>
/// CPU kernel of <see cref="Expm1"/>: TensorPrimitives' vector exp for the whole run, then eˣ - 1 per element, except
/// for |x| &lt; 0.5, where Kahan's form (u - 1)·x / log u in double cancels the rounding of u = eˣ.
/// </summary>
internal readonly struct Expm1Kernel : IUnaryKernel
{
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T> =>
        FloatKernels.Run(x, y, Floats, Floats);

    static void Floats<F>(ReadOnlySpan<F> x, Span<F> y) where F : unmanaged, IFloatingPointIeee754<F>
    {
        LaneMath.Exp(x, y);
        var half = F.CreateTruncating(0.5);
        for (int i = 0; i < y.Length; i++)
        {
            F v = x[i];
            y[i] = F.Abs(v) < half ? F.CreateTruncating(Elu.ExpM1(double.CreateTruncating(v))) : y[i] - F.One;
        }
    }
}
