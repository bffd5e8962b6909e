using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// det(A) of each matrix of A [..., n, n] (→ [...]), by LU with partial pivoting; 0 for a singular matrix, 1 for n = 0.
/// y = det(A) ; dy = Σ adj(A)ᵀ ⊙ dA ; gA = gy·adj(A)ᵀ. The adjugate (its own primitive, <see cref="Adjugate"/>) is
/// det(A)·A⁻¹ when A is invertible and stays finite when it is not, so the gradient at a singular matrix is
/// PyTorch's (the cofactor matrix: non-zero for rank n−1, zero for lower ranks).
/// </summary>
internal sealed class Determinant : Primitive
{
    public override string Name => "linalg_det";
    public override string GradName => "LinalgDetBackward";
    public override bool MayFailInReplay => false;   // total: a singular matrix has det 0

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        [gy.Unsqueeze(-1).Unsqueeze(-1) * AdjugateOf(x[0]).T];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        dx[0] is null ? null : (AdjugateOf(x[0]).T * dx[0]!).Sum([-2, -1]);

    static Tensor AdjugateOf(Tensor a) => Engine.Dispatch.Call(new Adjugate(), a);

    public override RefArray Reference(RefArray[] x)
    {
        var shape = x[0].Shape;
        int n = shape[^1];
        var y = RefArray.Zeros(shape[..^2]);
        for (int i = 0; i < y.Count; i++) y.Data[i] = DenseMatrix.Det(x[0].Data.AsSpan(i * n * n, n * n), n);
        return y;
    }
}
