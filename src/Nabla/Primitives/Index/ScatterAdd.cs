using Nabla.Backends.Reference;

namespace Nabla.Primitives.Index;

/// <summary>
/// torch.scatter_add (out of place): y = x, then y[index[i][j]][j] += src[i][j] for dim 0 (likewise
/// for other dims), over the index's shape (src may be larger; its extra elements are unused).
/// Adds run in row-major index order on one thread, so repeated indices sum deterministically.
/// y = x + scatter(src) ; dy = dx + scatter(dsrc) ; gx = gy, gsrc = gather(gy, index) (zero-padded to src's shape)
/// </summary>
internal sealed class ScatterAdd(int dim, int[] srcShape) : Primitive
{
    /// <summary>The shape of the added values (their gradient's).</summary>
    public int[] SrcShape => srcShape;

    public override string Name => "scatter_add";

    /// <summary>The dim the index values address.</summary>
    public int Dim => dim;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        return [gy, null, PadToSrc(gy.Gather(dim, x[1]), srcShape)];
    }

    /// <summary>A gradient gathered over the index's shape, zero-padded to src's (larger) shape; shared with Scatter and ScatterReduce.</summary>
    internal static Tensor PadToSrc(Tensor gathered, int[] srcShape) =>
        gathered.Shape.Span.SequenceEqual(srcShape)
            ? gathered
            : Tensor.PadWindow(gathered, srcShape, new int[srcShape.Length], Ones(srcShape.Length));

    static int[] Ones(int n)
    {
        var a = new int[n];
        Array.Fill(a, 1);
        return a;
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null && dx[2] is null) return null;
        var dinput = dx[0] ?? Tensor.ZerosLike(y);
        var dsrc = dx[2] ?? Tensor.Zeros(srcShape, y.DType, device: y.Device);
        return dinput.ScatterAdd(dim, x[1], dsrc);
    }

    public override RefArray Reference(RefArray[] x)
    {
        var y = new RefArray((double[])x[0].Data.Clone(), (int[])x[0].Shape.Clone());
        for (int i = 0; i < x[1].Count; i++)
            y.Data[y.Ravel(IndexWalk.TargetCoords(x[1], i, dim))] += x[2][x[1].Unravel(i)];
        return y;
    }
}
