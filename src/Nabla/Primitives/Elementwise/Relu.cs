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
    public override bool MayFailInReplay => false;   // elementwise: total on every value of its dtypes
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    public static bool Supports(DType t) => t is DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Dispatch.Call(new ReluBackward(), gy, y)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Dispatch.Call(new ReluBackward(), dx[0]!, y);

    public override RefArray Reference(RefArray[] x) => RefArray.Map(x[0], v => v > 0 || double.IsNaN(v) ? v : 0);
}
