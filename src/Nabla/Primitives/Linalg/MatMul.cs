using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// Batched matrix product on [..., m, k] · [..., k, n] with equal batch dims (the front end
/// broadcasts batch dims with Expand and handles 1-D operands, as torch.matmul).
/// y = a·b ; dy = da·b + a·db ; ga = gy·bᵀ, gb = aᵀ·gy  (bilinear)
/// </summary>
internal sealed class MatMul : Primitive
{
    public override string Name => "matmul";
    public override bool MayFailInReplay => false;   // products and their epilogues: total on every value
    public override string GradName => "MmBackward";

    // A GEMM each; the one for an input that needs no gradient (the data of a first layer) is skipped.
    // An input that is a transposed view (Linear's weight enters as w.T) gets its gradient as the
    // transpose of the product computed the other way round: the same numbers, but laid out like the
    // tensor the view was taken from, so the gradient reaching that leaf is contiguous and .Grad need
    // not be a transposing copy.
    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        [needs[0] ? (IsTransposed(x[0]) ? x[1].MatMul(gy.T).T : gy.MatMul(x[1].T)) : null,
         needs[1] ? (IsTransposed(x[1]) ? gy.T.MatMul(x[0]).T : x[0].T.MatMul(gy)) : null];

    /// <summary>A 2-D view whose columns are contiguous (the transpose of a row-major matrix).</summary>
    static bool IsTransposed(Tensor t) =>
        t.Rank == 2 && t.Shape[0] > 1 && t.Shape[1] > 1 && t.Strides[0] == 1 && t.Strides[1] == t.Shape[0];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        SumTangents(dx[0]?.MatMul(x[1]), dx[1] is null ? null : x[0].MatMul(dx[1]!));

    public override RefArray Reference(RefArray[] x)
    {
        var a = x[0];
        var b = x[1];
        int rank = a.Shape.Length;
        int m = a.Shape[rank - 2], k = a.Shape[rank - 1], n = b.Shape[rank - 1];
        var outShape = (int[])a.Shape.Clone();
        outShape[rank - 1] = n;
        var y = RefArray.Zeros(outShape);
        int batch = m * n == 0 ? 0 : y.Count / (m * n);
        for (int bi = 0; bi < batch; bi++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += a.Data[bi * m * k + i * k + p] * b.Data[bi * k * n + p * n + j];
                    y.Data[bi * m * n + i * n + j] = s;
                }
        return y;
    }
}
