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
    public override bool MayFailInReplay => false;   // elementwise: total on every value of its dtypes
    public override string GradName => "ThresholdBackwardBackward";

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Dispatch.Call(new ReluBackward(), gy, x[1]), null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Dispatch.Call(new ReluBackward(), dx[0]!, x[1]);

    public override RefArray Reference(RefArray[] x) => RefArray.Zip(x[0], x[1], (g, r) => r > 0 || double.IsNaN(r) ? g : 0);
}
