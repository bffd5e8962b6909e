using System.Numerics;
using System.Runtime.Intrinsics;
using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Elementwise;

/// <summary>y = a - b ; dy = da - db ; ga = gy, gb = -gy</summary>
internal sealed class Sub : ElementwiseBinary
{
    public override string Name => "sub";
    public override bool SavesInputs => false;

    public override (Tensor Da, Tensor Db) Derivatives(Tensor a, Tensor b, Tensor y) => throw new InvalidOperationException("Sub is linear");
    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy, needs[1] ? -gy : null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        dx[1] is null ? dx[0] : dx[0] is null ? -dx[1]! : dx[0]! - dx[1]!;

    public override double Reference(double a, double b) => a - b;

    protected override void Kernel<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) =>
        SimdDriver.Binary<T, Op<T>>(a, sa, b, sb, y);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T a, T b) => a - b;
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a - b;
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a - b;
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a - b;
    }
}
