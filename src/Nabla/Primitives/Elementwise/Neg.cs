namespace Nabla.Primitives.Elementwise;

/// <summary>y = -x ; dy = -dx ; gx = -gy  (linear)</summary>
internal sealed class Neg : ElementwiseUnary
{
    public override string Name => "neg";
    public override bool SavesInputs => false;
    public override bool SupportsIntegers => true;

    public override Tensor Derivative(Tensor x, Tensor y) => throw new InvalidOperationException("Neg is linear");
    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [-gy];
    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : -dx[0]!;
    public override double Reference(double x) => -x;
}
