namespace Nabla.Primitives.Elementwise;

/// <summary>y = a * b ; dy = da*b + a*db ; ga = gy*b, gb = gy*a  (bilinear)</summary>
internal sealed class Mul : ElementwiseBinary
{
    public override string Name => "mul";

    public override (Tensor Da, Tensor Db) Derivatives(Tensor a, Tensor b, Tensor y) => (b, a);
    public override double Reference(double a, double b) => a * b;
}
