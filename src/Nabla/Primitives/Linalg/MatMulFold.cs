using Nabla.Backends.Reference;
using Nabla.Engine;
using Nabla.Primitives.Movement;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// A convolution's input gradient as one op (made by the graph pass <c>EpilogueFusion</c>, never by user code):
/// y = fold(a·b) with a [R, K] (or [1, R, K]), b [K, B·L] (or [1, K, B·L]) and the column gradient a·b read as
/// [R, B, L], the columns layout of <see cref="Geometry"/> (R = C·kh·kw rows outer, as <c>Tensor.Conv2d</c> makes
/// them); y is the image gradient [B, C, H, W]. Eager code writes the whole column gradient and folds it afterwards; the
/// CPU kernel folds each image's block right after the GEMM makes it, in cache. Same bits: the GEMM's sums depend on
/// k alone, and the fold sums each pixel over the window offsets in the same order per image.
/// y = fold(a·b) ; dy = fold(da·b + a·db) ; ga, gb = matmul's rules on gcols = unfold(gy).
/// </summary>
internal sealed class MatMulFold(Im2Col g) : Primitive
{
    public override string Name => "matmul_fold";
    public override bool MayFailInReplay => false;   // products and their epilogues: total on every value

    /// <summary>The window geometry and column layout of the fold (rows outer).</summary>
    public Im2Col Geometry => g;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var product = x[0].MatMul(x[1]);
        var gcols = Dispatch.Call(new Unfold(g), gy).Reshape(product.Shape.ToArray());
        var grads = new MatMul().Vjp(gcols, [x[0], x[1]], product, [needs[0], needs[1]]);
        return [grads[0], grads[1]];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        var product = x[0].MatMul(x[1]);
        var dProduct = new MatMul().Jvp([dx[0], dx[1]], [x[0], x[1]], product);
        return dProduct is null ? null : Dispatch.Call(new Fold(g), Columns(dProduct, x));
    }

    public override RefArray Reference(RefArray[] x)
    {
        var product = new MatMul().Reference([x[0], x[1]]);
        int n = x[1].Shape[^1];
        return Im2Col.ReferenceFold(g, new RefArray(product.Data, [g.Rows, n / g.L, g.L]));
    }

    /// <summary>The product as the fold's columns [R, B, L].</summary>
    Tensor Columns(Tensor product, Tensor[] x) => product.Reshape(g.Rows, x[1].Shape[x[1].Rank - 1] / g.L, g.L);
}
