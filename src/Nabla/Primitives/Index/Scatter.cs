using Nabla.Backends.Reference;

namespace Nabla.Primitives.Index;

/// <summary>
/// torch.scatter (out of place): y = x, then y[index[i][j]][j] = src[i][j] for dim 0 (likewise for other dims), over
/// the index's shape (src may be larger; its extra elements are unused). Writes run in row-major index order, so where
/// the index repeats a target the LAST write wins (PyTorch leaves that case undefined; here it is deterministic).
/// y = scatter(x, src) ; dy = scatter(dx, dsrc) ; gx = scatter(gy, 0) (written places get none), gsrc = gather(gy, index)
/// NB: gsrc is PyTorch's rule: with repeated targets every src element that aimed at a place gets its gradient, not
/// only the one that won.
/// </summary>
internal sealed class Scatter(int dim, int[] srcShape) : Primitive
{
    /// <summary>The shape of the written values (their gradient's).</summary>
    public int[] SrcShape => srcShape;

    public override string Name => "scatter";

    /// <summary>The dim the index values address.</summary>
    public int Dim => dim;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var gx = needs[0] ? gy.Scatter(dim, x[1], 0.0) : null;
        var gsrc = needs[2] ? ScatterAdd.PadToSrc(gy.Gather(dim, x[1]), srcShape) : null;
        return [gx, null, gsrc];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null && dx[2] is null) return null;
        var dinput = dx[0] ?? Tensor.ZerosLike(y);
        var dsrc = dx[2] ?? Tensor.Zeros(srcShape, y.DType, device: y.Device);
        return dinput.Scatter(dim, x[1], dsrc);
    }

    public override RefArray Reference(RefArray[] x)
    {
        var y = new RefArray((double[])x[0].Data.Clone(), (int[])x[0].Shape.Clone());
        for (int i = 0; i < x[1].Count; i++)
            y.Data[y.Ravel(IndexWalk.TargetCoords(x[1], i, dim))] = x[2][x[1].Unravel(i)];
        return y;
    }
}
