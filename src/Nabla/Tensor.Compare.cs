using Nabla.Engine;
using Nabla.Primitives.Elementwise;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// this &gt; <paramref name="other"/> elementwise, as a Bool tensor. Broadcasting and type promotion
    /// as for arithmetic (an int64 tensor compared with a float32 one is compared in float32).
    /// Comparisons with NaN are false. Not differentiable.
    /// </summary>
    public Tensor Gt(Tensor other) => Compare(CompareKind.Gt, this, other);
    /// <summary>this &gt; a C# number (a floating number compares an integer tensor in float32).</summary>
    public Tensor Gt(double other) => Compare(CompareKind.Gt, this, ScalarOperand(other, true));
    /// <summary>this &gt; a whole C# number (integer tensors stay integer).</summary>
    public Tensor Gt(long other) => Compare(CompareKind.Gt, this, ScalarOperand(other, false));

    /// <summary>this ≥ <paramref name="other"/> elementwise, as a Bool tensor (see <see cref="Gt(Tensor)"/>).</summary>
    public Tensor Ge(Tensor other) => Compare(CompareKind.Ge, this, other);
    /// <inheritdoc cref="Gt(double)"/>
    public Tensor Ge(double other) => Compare(CompareKind.Ge, this, ScalarOperand(other, true));
    /// <inheritdoc cref="Gt(long)"/>
    public Tensor Ge(long other) => Compare(CompareKind.Ge, this, ScalarOperand(other, false));

    /// <summary>this &lt; <paramref name="other"/> elementwise, as a Bool tensor (see <see cref="Gt(Tensor)"/>).</summary>
    public Tensor Lt(Tensor other) => Compare(CompareKind.Lt, this, other);
    /// <inheritdoc cref="Gt(double)"/>
    public Tensor Lt(double other) => Compare(CompareKind.Lt, this, ScalarOperand(other, true));
    /// <inheritdoc cref="Gt(long)"/>
    public Tensor Lt(long other) => Compare(CompareKind.Lt, this, ScalarOperand(other, false));

    /// <summary>this ≤ <paramref name="other"/> elementwise, as a Bool tensor (see <see cref="Gt(Tensor)"/>).</summary>
    public Tensor Le(Tensor other) => Compare(CompareKind.Le, this, other);
    /// <inheritdoc cref="Gt(double)"/>
    public Tensor Le(double other) => Compare(CompareKind.Le, this, ScalarOperand(other, true));
    /// <inheritdoc cref="Gt(long)"/>
    public Tensor Le(long other) => Compare(CompareKind.Le, this, ScalarOperand(other, false));

    /// <summary>this == <paramref name="other"/> elementwise, as a Bool tensor (see <see cref="Gt(Tensor)"/>; NaN == NaN is false).</summary>
    public Tensor Eq(Tensor other) => Compare(CompareKind.Eq, this, other);
    /// <inheritdoc cref="Gt(double)"/>
    public Tensor Eq(double other) => Compare(CompareKind.Eq, this, ScalarOperand(other, true));
    /// <inheritdoc cref="Gt(long)"/>
    public Tensor Eq(long other) => Compare(CompareKind.Eq, this, ScalarOperand(other, false));

    /// <summary>
    /// The front end of comparisons: the same promotion and broadcasting as <see cref="Binary"/>, on
    /// detached inputs (a comparison has no gradient, so nothing is recorded, not even the casts).
    /// </summary>
    internal static Tensor Compare(CompareKind kind, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var op = new Compare(kind);
        (a, b) = OnOneDevice(op, a, b);
        var dtype = DTypes.Promote(a.DType, b.DType);
        if (dtype == DType.Bool) dtype = DType.Int32;
        var shape = BroadcastShapes(op.Name, a.Shape, b.Shape);
        return Dispatch.Call(op, a.DetachFor(op.Name).To(dtype).BroadcastTo(shape), b.DetachFor(op.Name).To(dtype).BroadcastTo(shape));
    }

    /// <summary>Elementwise a AND b on Bool tensors (broadcasting).</summary>
    internal static Tensor LogicalAnd(Tensor a, Tensor b) => Where(a, b, Full([], 0, DType.Bool));
}
