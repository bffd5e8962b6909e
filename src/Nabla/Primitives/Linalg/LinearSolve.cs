using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// X = A⁻¹·B for A [..., n, n] and B [..., n, k] with equal batch dims (the front end broadcasts them and
/// handles vectors and left = false), by LU with partial pivoting. Two outputs: X and, per matrix, an int32
/// info (0, or the 1-based column of the first zero pivot: A is singular and X holds inf/NaN), which the
/// front end checks, so the kernel itself never fails.
/// y = X ; dX = A⁻¹·(dB − dA·X) ; gB = A⁻ᵀ·gX, gA = −gB·Xᵀ   (written with Solve itself, so they differentiate again)
/// </summary>
internal sealed class LinearSolve(string op) : Primitive
{
    public override string Name => "linalg_solve";
    public override string GradName => "LinalgSolveBackward";
    public override bool SavesOutput => true;
    public override int OutputCount => 2;
    public override DType[] OutputDTypes(Tensor[] x) => [x[0].DType, DType.Int32];

    /// <summary>The public op the call came from (Solve or Inv), named by the singular-matrix error of the rules' own solves.</summary>
    public string Op => op;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var gB = global::Nabla.Linalg.SolveMatrices(x[0].T, gy, $"{op} (backward)");
        return [needs[0] ? -gB.MatMul(y.T) : null, needs[1] ? gB : null];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        var rhs = SumTangents(dx[1], dx[0] is null ? null : -dx[0]!.MatMul(y));
        return rhs is null ? null : global::Nabla.Linalg.SolveMatrices(x[0], rhs, $"{op} (forward mode)");
    }

    public override RefArray Reference(RefArray[] x) => ReferenceOutputs(x)[0];

    public override RefArray[] ReferenceOutputs(RefArray[] x)
    {
        var (count, n, k) = Sizes(x[0].Shape, x[1].Shape);
        var xs = RefArray.Zeros(x[1].Shape);
        var info = new int[count];
        for (int i = 0; i < count; i++) info[i] = SolveOne(x[0].Data, x[1].Data, xs.Data, i, n, k);
        return [xs, new RefArray(info.Select(v => (double)v).ToArray(), x[0].Shape[..^2])];
    }

    /// <summary>(matrices in the batch, n, k) of A [..., n, n] and B [..., n, k].</summary>
    public static (int Count, int N, int K) Sizes(int[] a, int[] b)
    {
        int count = 1;
        for (int d = 0; d < a.Length - 2; d++) count *= a[d];
        return (count, a[^1], b[^1]);
    }

    /// <summary>Solves matrix <paramref name="i"/> of the batch (row-major data); returns its info.</summary>
    public static int SolveOne(double[] a, double[] b, double[] x, int i, int n, int k)
    {
        var lu = a.AsSpan(i * n * n, n * n).ToArray();
        var perm = new int[n];
        int info = DenseMatrix.LuFactor(lu, n, perm, out _);
        DenseMatrix.LuSolve(lu, n, perm, b.AsSpan(i * n * k, n * k), x.AsSpan(i * n * k, n * k), k);
        return info;
    }
}
