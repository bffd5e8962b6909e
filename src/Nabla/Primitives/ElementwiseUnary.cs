using Nabla.Backends.Reference;

namespace Nabla.Primitives;

/// <summary>
/// Base of y = f(x) elementwise. An op declares one <see cref="Derivative"/> f'(x) written with the
/// Tensor API; both rules follow from it: dy = dx*f'(x) (JVP) and gx = gy*f'(x) (VJP).
/// The output has the input's shape and dtype.
/// </summary>
internal abstract class ElementwiseUnary : Primitive
{
    /// <summary>f'(x), possibly written in terms of the output y (e.g. exp: y).</summary>
    public abstract Tensor Derivative(Tensor x, Tensor y);

    /// <summary>f(x) in double precision, the oracle for tests.</summary>
    public abstract double Reference(double x);

    /// <summary>
    /// Whether the op is defined on integer dtypes (backends register integer kernels exactly then); the
    /// front end casts integers to float first for the others.
    /// </summary>
    public virtual bool SupportsIntegers => false;

    public override bool MayFailInReplay => false;   // total on every value of its dtypes (integer division is not offered)

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy * Derivative(x?[0]!, y)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : dx[0]! * Derivative(x[0], y);

    public override RefArray Reference(RefArray[] x) => RefArray.Map(x[0], Reference);
}
