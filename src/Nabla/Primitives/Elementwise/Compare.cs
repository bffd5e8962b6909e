using Nabla.Backends.Reference;

namespace Nabla.Primitives.Elementwise;

/// <summary>Which relation a <see cref="Compare"/> tests.</summary>
internal enum CompareKind { Gt, Ge, Lt, Le, Eq }

/// <summary>
/// y = (a ⋄ b) as Bool for ⋄ in &gt; ≥ &lt; ≤ ==, on two inputs of the same shape and dtype (the front end
/// promotes and broadcasts, as for arithmetic). Piecewise constant, so no derivative: the output is
/// Bool and the engine records nothing. IEEE semantics: every comparison with NaN is false.
/// </summary>
internal sealed class Compare(CompareKind kind) : Primitive
{
    public override string Name => kind.ToString().ToLowerInvariant();
    public override bool MayFailInReplay => false;   // elementwise: total on every value of its dtypes
    public override bool SavesInputs => false;

    /// <summary>The relation tested.</summary>
    public CompareKind Kind => kind;

    public override DType OutputDType(Tensor[] x) => DType.Bool;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [null, null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    public override RefArray Reference(RefArray[] x) => RefArray.Zip(x[0], x[1], (a, b) => Holds(kind, a, b) ? 1 : 0);

    internal static bool Holds(CompareKind kind, double a, double b) => kind switch
    {
        CompareKind.Gt => a > b,
        CompareKind.Ge => a >= b,
        CompareKind.Lt => a < b,
        CompareKind.Le => a <= b,
        _ => a == b,
    };
}
