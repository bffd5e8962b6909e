using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// Tanh's gradient in one pass (torch's tanh_backward): out = g·(1 - y²) for g and y of one shape and
/// floating dtype (y is the tanh's output). Three eager ops (y·y, 1 - ·, g·) would each read and write the
/// whole tensor; this reads g and y once. Its rules, written with the Tensor API so it differentiates to
/// any order (second derivatives of tanh go through it):
/// dout = tanh_backward(dg, y) - 2·g·y·dy ; gg = tanh_backward(gy, y), gy_y = -2·gy·g·y.
/// </summary>
internal sealed class TanhBackward : Primitive
{
    public override string Name => "tanh_backward";
    public override bool MayFailInReplay => false;   // elementwise: total on every value of its dtypes
    public override string GradName => "TanhBackwardBackward";

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        [needs[0] ? Dispatch.Call(new TanhBackward(), gy, x[1]) : null,
         needs[1] ? -2.0 * (gy * x[0]) * x[1] : null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        SumTangents(dx[0] is null ? null : Dispatch.Call(new TanhBackward(), dx[0]!, x[1]),
            dx[1] is null ? null : -2.0 * (dx[1]! * x[0]) * x[1]);

    public override RefArray Reference(RefArray[] x) => RefArray.Zip(x[0], x[1], (g, r) => g * (1 - r * r));
}
