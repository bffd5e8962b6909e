using Nabla.Backends.Reference;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// Converts the element type (C# casts: float to int truncates toward zero; nonzero to bool is true).
/// y = cast(x) ; dy = cast(dx) ; gx = cast(gy, input dtype), none for integer or bool inputs.
/// </summary>
internal sealed class Cast(DType from, DType to) : Primitive
{
    public override string Name => "cast";
    public override bool MayFailInReplay => false;   // elementwise: total on every value of its dtypes
    public override string GradName => "ToCopyBackward";
    public override bool SavesInputs => false;

    /// <summary>The output dtype.</summary>
    public DType To => to;

    // Kernels are chosen by the input's dtype (KernelDType, the default): one per source dtype.
    public override DType OutputDType(Tensor[] x) => to;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [from.IsFloating() ? gy.To(from) : null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0]?.To(to);

    public override RefArray Reference(RefArray[] x) => to switch
    {
        DType.Float32 => RefArray.Map(x[0], v => (float)v),
        DType.Int32 or DType.Int64 => RefArray.Map(x[0], Math.Truncate),
        DType.Bool => RefArray.Map(x[0], v => v != 0 ? 1 : 0),
        _ => RefArray.Map(x[0], v => v),
    };
}
