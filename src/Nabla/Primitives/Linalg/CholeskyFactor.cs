using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// torch.linalg.cholesky of each matrix of A [..., n, n]: L lower triangular with A = L·Lᵀ, read from A's lower
/// triangle. Two outputs: L and, per matrix, an int32 info (0, or the order of the first leading minor that is
/// not positive-definite), which the front end checks, so the kernel never fails.
/// A is taken as symmetric, as PyTorch does: with Φ(M) = tril(M) with its diagonal halved,
/// y = L ; dL = L·Φ(L⁻¹·dA·L⁻ᵀ) ; gA = L⁻ᵀ·S·L⁻¹ with S = ½(tril(Lᵀ·gL) + tril(Lᵀ·gL, −1)ᵀ), a symmetric gradient.
/// </summary>
internal sealed class CholeskyFactor : Primitive
{
    public override string Name => "linalg_cholesky";
    public override string GradName => "LinalgCholeskyBackward";
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;
    public override int OutputCount => 2;
    public override DType[] OutputDTypes(Tensor[] x) => [x[0].DType, DType.Int32];

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var m = y.T.MatMul(gy).Tril();
        var s = 0.5 * (m + m.Tril(-1).T);
        var left = global::Nabla.Linalg.TriangularSolveLeft(y.T, s, upper: true, unit: false);     // L⁻ᵀ·S
        return [global::Nabla.Linalg.TriangularSolveLeft(y.T, left.T, upper: true, unit: false).T];  // (L⁻ᵀ·S)·L⁻¹ = (L⁻ᵀ·(L⁻ᵀ·S)ᵀ)ᵀ
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[0] is null) return null;
        var p = global::Nabla.Linalg.TriangularSolveLeft(y, dx[0]!, upper: false, unit: false);        // L⁻¹·dA
        p = global::Nabla.Linalg.TriangularSolveLeft(y, p.T, upper: false, unit: false).T;            // L⁻¹·dA·L⁻ᵀ
        var phi = p.Tril(-1) + 0.5 * (p.Tril() - p.Tril(-1));
        return y.MatMul(phi);
    }

    public override RefArray Reference(RefArray[] x) => ReferenceOutputs(x)[0];

    /// <summary>[L, info].</summary>
    public override RefArray[] ReferenceOutputs(RefArray[] x)
    {
        var shape = x[0].Shape;
        int n = shape[^1];
        var l = RefArray.Zeros(shape);
        var info = RefArray.Zeros(shape[..^2]);
        for (int i = 0; i < info.Count; i++)
            info.Data[i] = DenseMatrix.Cholesky(x[0].Data.AsSpan(i * n * n, n * n), n, l.Data.AsSpan(i * n * n, n * n));
        return [l, info];
    }
}
