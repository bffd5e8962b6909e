using System.Numerics;
using System.Runtime.Intrinsics;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = x where x &gt; 0 or x is NaN, else 0 (so -0 and negatives give +0, NaN stays NaN), as
/// where(x ≤ 0, 0, x) but in one pass.
/// dy = relu_backward(dx, y) ; gx = relu_backward(gy, y): the incoming value where y is positive or NaN,
/// 0 elsewhere (the gradient at the kink x = 0 is 0, as PyTorch). y tells the same as x, so only y is saved.
/// </summary>
internal sealed class Relu : Primitive
{
    public override string Name => "relu";
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    public static bool Supports(DType t) => t is DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64;

    public override Tensor Forward(Tensor[] x)
    {
        var input = x[0];
        var y = CpuTensor.Empty(input.DType, input.Shape);
        switch (input.DType)
        {
            case DType.Float32: ElementwiseDriver.Unary<float>(input, y, SimdDriver.Unary<float, Op<float>>); break;
            case DType.Float64: ElementwiseDriver.Unary<double>(input, y, SimdDriver.Unary<double, Op<double>>); break;
            case DType.Int32: ElementwiseDriver.Unary<int>(input, y, SimdDriver.Unary<int, Op<int>>); break;
            case DType.Int64: ElementwiseDriver.Unary<long>(input, y, SimdDriver.Unary<long, Op<long>>); break;
            default: throw new NotSupportedException($"relu: no kernel for dtype {input.DType.TorchName()}");
        }
        return y;
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Dispatch.Call(new ReluBackward(), gy, y)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Dispatch.Call(new ReluBackward(), dx[0]!, y);

    public override RefArray Reference(RefArray[] x) => RefArray.Map(x[0], v => v > 0 || double.IsNaN(v) ? v : 0);

    // Vector: x != x only for NaN (Equals(x, x) is false), so NaN is kept.
    public readonly struct Op<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
    {
        public static T Invoke(T x) => x > T.Zero || T.IsNaN(x) ? x : T.Zero;
        public static Vector128<T> Invoke(Vector128<T> x) =>
            Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero) | ~Vector128.Equals(x, x), x, Vector128<T>.Zero);
        public static Vector256<T> Invoke(Vector256<T> x) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero) | ~Vector256.Equals(x, x), x, Vector256<T>.Zero);
        public static Vector512<T> Invoke(Vector512<T> x) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero) | ~Vector512.Equals(x, x), x, Vector512<T>.Zero);
    }
}
