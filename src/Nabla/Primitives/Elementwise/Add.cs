using Nabla.Backends.Reference;

namespace Nabla.Primitives.Elementwise;

/// <summary>y = a + b ; dy = da + db ; ga = gy, gb = gy</summary>
internal sealed class Add : ElementwiseBinary
{
    public override string Name => "add";
    public override bool SavesInputs => false;

    public override (Tensor Da, Tensor Db) Derivatives(Tensor a, Tensor b, Tensor y) => throw new InvalidOperationException("Add is linear");
    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy, gy];
    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => SumTangents(dx[0], dx[1]);
    public override double Reference(double a, double b) => a + b;
}
