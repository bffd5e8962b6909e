using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// adj(A) of each matrix of A [..., n, n]: the transposed cofactor matrix, det(A)·A⁻¹ when A is invertible and
/// finite when it is not (see <see cref="DenseMatrix.Adjugate"/>). Only <see cref="Determinant"/>'s rules use it.
/// With Ā = A⁻¹ and d = det(A), adj = d·Ā:
/// dy = d·(tr(Ā·dA)·Ā − Ā·dA·Ā) ; gA = d·(⟨gy, Ā⟩·Āᵀ − Āᵀ·gy·Āᵀ).
/// NB: these rules (det's second derivative) need an invertible A: at a singular matrix they raise the
/// singular-matrix error of Inv, naming Det, where PyTorch goes through an SVD.
/// </summary>
internal sealed class Adjugate : Primitive
{
    public override string Name => "linalg_adjugate";
    public override bool MayFailInReplay => false;   // total on every value

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var (inv, det) = InverseAndDet(x[0]);
        var invT = inv.T;
        var inner = (gy * inv).Sum([-2, -1], keepDim: true);
        return [det * (inner * invT - invT.MatMul(gy).MatMul(invT))];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null) return null;
        var (inv, det) = InverseAndDet(x[0]);
        var trace = (inv.T * dx[0]!).Sum([-2, -1], keepDim: true);
        return det * (trace * inv - inv.MatMul(dx[0]!).MatMul(inv));
    }

    static (Tensor Inv, Tensor Det) InverseAndDet(Tensor a) =>
        (global::Nabla.Linalg.InvOf(a, "Det (second derivative)"), global::Nabla.Linalg.Det(a).Unsqueeze(-1).Unsqueeze(-1));

    public override RefArray Reference(RefArray[] x)
    {
        var shape = x[0].Shape;
        int n = shape[^1];
        var y = RefArray.Zeros(shape);
        int count = n == 0 ? 0 : y.Count / (n * n);
        for (int i = 0; i < count; i++) DenseMatrix.Adjugate(x[0].Data.AsSpan(i * n * n, n * n), n, y.Data.AsSpan(i * n * n, n * n));
        return y;
    }
}
