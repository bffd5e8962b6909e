using System.Numerics;
using System.Runtime.Intrinsics;
using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Elementwise;

/// <summary>y = a * b ; dy = da*b + a*db ; ga = gy*b, gb = gy*a  (bilinear)</summary>
internal sealed class Mul : ElementwiseBinary
{
    public override string Name => "mul";

    public override (Tensor Da, Tensor Db) Derivatives(Tensor a, Tensor b, Tensor y) => (b, a);
    public override double Reference(double a, double b) => a * b;

    protected override void Kernel<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) =>
        SimdDriver.Binary<T, Op<T>>(a, sa, b, sb, y);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T a, T b) => a * b;
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a * b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a * b;
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a * b;
    }
}
