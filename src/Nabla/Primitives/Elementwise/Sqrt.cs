using System.Numerics;
using System.Runtime.Intrinsics;
using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = √x ; dy = dx/(2y) ; gx = gy/(2y). √(-x) = NaN, √(+Inf) = +Inf; at x = 0 the derivative is +Inf
/// (as PyTorch: gy/(2·0)).
/// </summary>
internal sealed class Sqrt : ElementwiseUnary
{
    public override string Name => "sqrt";
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    public override Tensor Derivative(Tensor x, Tensor y) => 0.5 / y;
    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy / (2.0 * y)];
    public override double Reference(double x) => Math.Sqrt(x);

    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) => SimdDriver.Unary<T, Op<T>>(x, y);

    public readonly struct Op<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        // NB: a double square root rounded to float is the correctly rounded float square root
        // (53 >= 2*24 + 2 bits), so the scalar tail agrees with the vector lanes.
        public static T Invoke(T x) => T.CreateTruncating(Math.Sqrt(double.CreateTruncating(x)));
        public static Vector128<T> Invoke(Vector128<T> x) => Vector128.Sqrt(x);
        public static Vector256<T> Invoke(Vector256<T> x) => Vector256.Sqrt(x);
        public static Vector512<T> Invoke(Vector512<T> x) => Vector512.Sqrt(x);
    }
}
