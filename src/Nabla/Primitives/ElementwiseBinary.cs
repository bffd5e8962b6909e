using Nabla.Backends.Reference;

namespace Nabla.Primitives;

/// <summary>
/// Base of y = f(a, b) elementwise on two inputs of the SAME shape and dtype: the front end
/// broadcasts with Expand (stride-0 views, no copies) and promotes dtypes with Cast first, so the
/// broadcast's gradient is Expand's transpose (a sum) and no op repeats that logic.
/// An op declares its two partial derivatives; the rules follow: dy = da*fa + db*fb, ga = gy*fa, gb = gy*fb.
/// </summary>
internal abstract class ElementwiseBinary : Primitive
{
    /// <summary>(∂f/∂a, ∂f/∂b) written with the Tensor API.</summary>
    public abstract (Tensor Da, Tensor Db) Derivatives(Tensor a, Tensor b, Tensor y);

    /// <summary>f(a, b) in double precision, the oracle for tests.</summary>
    public abstract double Reference(double a, double b);

    /// <summary>
    /// Whether the op is defined on integer dtypes (backends register integer kernels exactly then); the
    /// front end promotes integers to float first for the others.
    /// </summary>
    public virtual bool SupportsIntegers => true;

    public override bool MayFailInReplay => false;   // total on every value of its dtypes (integer division is not offered)

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        // Derivatives are built lazily by most ops (views of x), so only the products are skipped here.
        var (da, db) = Derivatives(x[0], x[1], y);
        return [needs[0] ? gy * da : null, needs[1] ? gy * db : null];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null && dx[1] is null) return null;
        var (da, db) = Derivatives(x[0], x[1], y);
        return SumTangents(dx[0] is null ? null : dx[0]! * da, dx[1] is null ? null : dx[1]! * db);
    }

    public override RefArray Reference(RefArray[] x) => RefArray.Zip(x[0], x[1], Reference);
}
