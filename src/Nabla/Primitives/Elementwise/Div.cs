using System.Numerics;
using System.Runtime.Intrinsics;
using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Elementwise;

/// <summary>y = a / b ; dy = da/b - db*y/b ; ga = gy/b, gb = -gy*y/b. Floating dtypes only (the front end promotes ints).</summary>
internal sealed class Div : ElementwiseBinary
{
    public override string Name => "div";
    public override bool SavesOutput => true;
    public override bool SupportsIntegers => false;

    public override (Tensor Da, Tensor Db) Derivatives(Tensor a, Tensor b, Tensor y) => (b.Reciprocal(), -y / b);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var ga = gy / x[1];
        return [ga, needs[1] ? -ga * y : null];
    }

    public override double Reference(double a, double b) => a / b;

    protected override void Kernel<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) =>
        SimdDriver.Binary<T, Op<T>>(a, sa, b, sb, y);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T a, T b) => a / b;
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a / b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a / b;
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a / b;
    }
}
