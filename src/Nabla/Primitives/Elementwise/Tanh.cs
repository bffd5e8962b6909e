namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = tanh(x) ; dy = dx*(1 - y²) ; gx = gy*(1 - y²), both as one <see cref="TanhBackward"/> pass. On the
/// CPU float32 runs on <c>FastMath.Tanh</c> (computed in float, saturates to ±1 exactly); float64 on
/// TensorPrimitives.
/// </summary>
internal sealed class Tanh : ElementwiseUnary
{
    public override string Name => "tanh";
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    public override Tensor Derivative(Tensor x, Tensor y) => 1.0 - y * y;
    public override double Reference(double x) => Math.Tanh(x);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Engine.Dispatch.Call(new TanhBackward(), gy, y)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        dx[0] is null ? null : Engine.Dispatch.Call(new TanhBackward(), dx[0]!, y);
}
