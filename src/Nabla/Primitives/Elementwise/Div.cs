namespace Nabla.Primitives.Elementwise;

/// <summary>y = a / b ; dy = da/b - db*y/b ; ga = gy/b, gb = -gy*y/b. Floating dtypes only (the front end promotes ints).</summary>
internal sealed class Div : ElementwiseBinary
{
    public override string Name => "div";
    public override bool SavesOutput => true;
    public override bool SupportsIntegers => false;

    public override (Tensor Da, Tensor Db) Derivatives(Tensor a, Tensor b, Tensor y) => (b.Reciprocal(), -y / b);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var ga = gy / x[1];
        return [ga, needs[1] ? -ga * y : null];
    }

    public override double Reference(double a, double b) => a / b;
}
