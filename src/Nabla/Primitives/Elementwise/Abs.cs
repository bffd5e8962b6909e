using System.Numerics;
using System.Runtime.Intrinsics;
using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = |x| ; dy = dx·sign(x) ; gx = gy·sign(x), with sign(0) = 0 as PyTorch (so the gradient at 0 is 0).
/// Integers keep their dtype (|int.MinValue| wraps, as in two's complement).
/// </summary>
internal sealed class Abs : ElementwiseUnary
{
    public override string Name => "abs";
    public override bool SupportsIntegers => true;

    // sign(x) from two comparisons: piecewise constant, so its own derivative is zero (the
    // comparisons carry no gradient), which is right everywhere but at the kink.
    public override Tensor Derivative(Tensor x, Tensor y) => x.Gt(0L).To(x.DType) - x.Lt(0L).To(x.DType);
    public override double Reference(double x) => Math.Abs(x);

    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) => SimdDriver.Unary<T, Op<T>>(x, y);

    public readonly struct Op<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T x) => T.Abs(x);
        public static Vector128<T> Invoke(Vector128<T> x) => Vector128.Abs(x);
        public static Vector256<T> Invoke(Vector256<T> x) => Vector256.Abs(x);
        public static Vector512<T> Invoke(Vector512<T> x) => Vector512.Abs(x);
    }
}
