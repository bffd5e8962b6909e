using System.Numerics;
using System.Runtime.Intrinsics;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// ReLU's gradient mask (torch's threshold_backward): out = g where r &gt; 0 or r is NaN, else 0, for g and
/// r of one shape and dtype (r is the ReLU's output). Linear in g and piecewise constant in r:
/// dout = relu_backward(dg, r) ; gg = relu_backward(gy, r), gr = none (zero almost everywhere, as PyTorch),
/// so ReLU differentiates to any order. A NaN in g passes through where the mask is open and is dropped (0)
/// elsewhere, as where(mask, g, 0).
/// </summary>
internal sealed class ReluBackward : Primitive
{
    public override string Name => "relu_backward";
    public override string GradName => "ThresholdBackwardBackward";

    public override Tensor Forward(Tensor[] x)
    {
        var (g, r) = (x[0], x[1]);
        var y = CpuTensor.Empty(g.DType, g.Shape);
        switch (g.DType)
        {
            case DType.Float32: ElementwiseDriver.Binary<float>(g, r, y, SimdDriver.Binary<float, Op<float>>); break;
            case DType.Float64: ElementwiseDriver.Binary<double>(g, r, y, SimdDriver.Binary<double, Op<double>>); break;
            case DType.Int32: ElementwiseDriver.Binary<int>(g, r, y, SimdDriver.Binary<int, Op<int>>); break;
            case DType.Int64: ElementwiseDriver.Binary<long>(g, r, y, SimdDriver.Binary<long, Op<long>>); break;
            default: throw new NotSupportedException($"relu_backward: no kernel for dtype {g.DType.TorchName()}");
        }
        return y;
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Dispatch.Call(new ReluBackward(), gy, x[1]), null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Dispatch.Call(new ReluBackward(), dx[0]!, x[1]);

    public override RefArray Reference(RefArray[] x) => RefArray.Zip(x[0], x[1], (g, r) => r > 0 || double.IsNaN(r) ? g : 0);

    public readonly struct Op<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T g, T r) => r > T.Zero || T.IsNaN(r) ? g : T.Zero;
        public static Vector128<T> Invoke(Vector128<T> g, Vector128<T> r) =>
            Vector128.ConditionalSelect(Vector128.GreaterThan(r, Vector128<T>.Zero) | ~Vector128.Equals(r, r), g, Vector128<T>.Zero);
        public static Vector256<T> Invoke(Vector256<T> g, Vector256<T> r) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(r, Vector256<T>.Zero) | ~Vector256.Equals(r, r), g, Vector256<T>.Zero);
        public static Vector512<T> Invoke(Vector512<T> g, Vector512<T> r) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(r, Vector512<T>.Zero) | ~Vector512.Equals(r, r), g, Vector512<T>.Zero);
    }
}
