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
}
