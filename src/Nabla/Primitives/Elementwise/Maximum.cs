using System.Numerics;
using System.Runtime.Intrinsics;
using Nabla.Backends.Cpu;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = max(a, b) ; ga = gy·[a &gt; b] + gy/2·[a == b], gb = gy·[b &gt; a] + gy/2·[a == b] (ties split the
/// gradient half and half, as PyTorch). NaN in either input gives NaN (IEEE 754:2019 maximum);
/// there both inputs receive the full gradient, as PyTorch's where/masked_fill rule gives.
/// </summary>
internal sealed class Maximum : ElementwiseBinary
{
    public override string Name => "maximum";

    // Written as 1 - [a < b] - [a == b]/2 so that NaN (all comparisons false) gives 1, as PyTorch.
    public override (Tensor Da, Tensor Db) Derivatives(Tensor a, Tensor b, Tensor y)
    {
        var half = 0.5 * a.Eq(b).To(a.DType);
        return (1.0 - a.Lt(b).To(a.DType) - half, 1.0 - a.Gt(b).To(a.DType) - half);
    }

    public override double Reference(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b);

    protected override void Kernel<T>(ReadOnlySpan<T> a, int sa, ReadOnlySpan<T> b, int sb, Span<T> y) =>
        SimdDriver.Binary<T, Op<T>>(a, sa, b, sb, y);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T a, T b) => T.Max(a, b);
        public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);
        public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);
        public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);
    }
}
