using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// torch.linalg.slogdet of each matrix of A [..., n, n]: two outputs, log|det A| (differentiable) and sign(det A)
/// (a side result of A's dtype: ±1, 0 with log|det| = −inf for a singular matrix), by LU with partial pivoting,
/// so a determinant far outside the float range still has its logarithm.
/// y = log|det A| ; dy = tr(A⁻¹·dA) ; gA = gy·A⁻ᵀ  (at a singular A the rules raise Inv's singular-matrix error)
/// </summary>
internal sealed class LogAbsDet : Primitive
{
    public override string Name => "linalg_slogdet";
    public override string GradName => "LinalgSlogdetBackward";
    public override bool MayFailInReplay => false;   // total: a singular matrix gives (0, -inf)
    public override int OutputCount => 2;
    public override DType[] OutputDTypes(Tensor[] x) => [x[0].DType, x[0].DType];

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) =>
        [gy.Unsqueeze(-1).Unsqueeze(-1) * global::Nabla.Linalg.InvOf(x[0], "SlogDet (backward)").T];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        dx[0] is null ? null : (global::Nabla.Linalg.InvOf(x[0], "SlogDet (forward mode)").T * dx[0]!).Sum([-2, -1]);

    public override RefArray Reference(RefArray[] x) => ReferenceOutputs(x)[0];

    /// <summary>[log|det|, sign].</summary>
    public override RefArray[] ReferenceOutputs(RefArray[] x)
    {
        var shape = x[0].Shape;
        int n = shape[^1];
        var log = RefArray.Zeros(shape[..^2]);
        var sign = RefArray.Zeros(shape[..^2]);
        for (int i = 0; i < log.Count; i++) (sign.Data[i], log.Data[i]) = SlogDetOne(x[0].Data, i, n);
        return [log, sign];
    }

    /// <summary>(sign, log|det|) of matrix <paramref name="i"/> of the batch (row-major data).</summary>
    public static (double Sign, double LogAbs) SlogDetOne(double[] a, int i, int n)
    {
        var lu = a.AsSpan(i * n * n, n * n).ToArray();
        var perm = new int[n];
        DenseMatrix.LuFactor(lu, n, perm, out int sign);
        return DenseMatrix.LuSlogDet(lu, n, sign);
    }
}
