using System.Numerics;
using Nabla.Backends.Cpu;
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
    public override bool SavesInputs => false;

    public override Tensor Forward(Tensor[] x) => x[0].DType switch
    {
        DType.Float32 => Run<float>(x[0], x[1]),
        DType.Float64 => Run<double>(x[0], x[1]),
        DType.Int32 => Run<int>(x[0], x[1]),
        DType.Int64 => Run<long>(x[0], x[1]),
        _ => throw new NotSupportedException($"{Name}: no kernel for dtype {x[0].DType.TorchName()}"),
    };

    Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => kind switch
    {
        CompareKind.Gt => CompareDriver.RunSimd<T, CompareOps.Greater<T>>(a, b),
        CompareKind.Ge => CompareDriver.RunSimd<T, CompareOps.GreaterEqual<T>>(a, b),
        CompareKind.Lt => CompareDriver.RunSimd<T, CompareOps.Less<T>>(a, b),
        CompareKind.Le => CompareDriver.RunSimd<T, CompareOps.LessEqual<T>>(a, b),
        _ => CompareDriver.RunSimd<T, CompareOps.Equal<T>>(a, b),
    };

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
