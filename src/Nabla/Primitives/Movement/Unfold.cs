using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Movement;

/// <summary>
/// im2col: every kh×kw window of an image [B, C, H, W] (zero padded, strided, dilated) as a column of
/// [B, C·kh·kw, OH·OW], so a convolution becomes one batched MatMul. Linear; its transpose is Fold.
/// y = unfold(x) ; dy = unfold(dx) ; gx = fold(gy)
/// </summary>
internal sealed class Unfold(Im2Col g) : Primitive
{
    public override string Name => "unfold";
    public override bool MayFailInReplay => false;   // moves values by shape alone
    public override string GradName => "Im2ColBackward";
    public override bool SavesInputs => false;

    /// <summary>The window geometry and column layout.</summary>
    public Im2Col Geometry => g;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Dispatch.Call(new Fold(g), gy)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Dispatch.Call(new Unfold(g), dx[0]!);

    public override RefArray Reference(RefArray[] x) => Im2Col.ReferenceUnfold(g, x[0]);
}
