using Nabla.Backends.Reference;

namespace Nabla.Primitives.Index;

/// <summary>
/// torch.gather: y[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (likewise for other dims); y has the
/// index's shape. Linear in x; the index gets no gradient.
/// y = gather(x, index) ; dy = gather(dx, index) ; gx = scatter_add(zeros, index, gy) (its transpose)
/// </summary>
internal sealed class Gather(int dim, int[] inputShape) : Primitive
{
    /// <summary>The gathered tensor's shape (its gradient's).</summary>
    public int[] InputShape => inputShape;

    public override string Name => "gather";

    /// <summary>The dim the index values address.</summary>
    public int Dim => dim;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        [Tensor.Zeros(inputShape, gy.DType, device: gy.Device).ScatterAdd(dim, x[1], gy), null];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0]?.Gather(dim, x[1]);

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(x[1].Shape);
        for (int i = 0; i < y.Count; i++) y.Data[i] = x[0][IndexWalk.TargetCoords(x[1], i, dim)];
        return y;
    }
}
