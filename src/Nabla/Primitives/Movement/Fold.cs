using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Movement;

/// <summary>
/// col2im, Unfold's transpose: columns [B, C·kh·kw, OH·OW] summed back into an image [B, C, H, W]
/// (overlapping windows add up; entries that fell in the padding are dropped). Linear.
/// y = fold(x) ; dy = fold(dx) ; gx = unfold(gy)
/// </summary>
internal sealed class Fold(Im2Col g) : Primitive
{
    public override string Name => "fold";
    public override bool MayFailInReplay => false;   // moves values by shape alone
    public override string GradName => "Col2ImBackward";
    public override bool SavesInputs => false;

    /// <summary>The window geometry and column layout.</summary>
    public Im2Col Geometry => g;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [Dispatch.Call(new Unfold(g), gy)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is null ? null : Dispatch.Call(new Fold(g), dx[0]!);

    public override RefArray Reference(RefArray[] x) => Im2Col.ReferenceFold(g, x[0]);
}
