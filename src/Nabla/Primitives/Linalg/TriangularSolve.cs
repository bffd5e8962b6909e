using Nabla.Backends.Reference;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// X = A⁻¹·B for triangular A [..., n, n] and B [..., n, k] with equal batch dims (the front end broadcasts and
/// turns left = false into this by transposes), reading only A's upper or lower triangle, and with
/// <see cref="Unit"/> not its diagonal (taken as ones). No singularity check, as torch.linalg.solve_triangular:
/// a zero on the diagonal gives inf/NaN. With T(M) the triangle of M that A's values come from,
/// y = X ; dX = A⁻¹·(dB − T(dA)·X) ; gB = A⁻ᵀ·gX, gA = −T(gB·Xᵀ)
/// </summary>
internal sealed class TriangularSolve(bool upper, bool unit) : Primitive
{
    public override string Name => "linalg_solve_triangular";
    public override string GradName => "LinalgSolveTriangularBackward";
    public override bool MayFailInReplay => false;   // total on every value
    public override bool SavesOutput => true;

    public bool Upper => upper;
    public bool Unit => unit;

    /// <summary>The part of <paramref name="m"/> in the triangle A's values are read from.</summary>
    Tensor Triangle(Tensor m) => upper ? m.Triu(unit ? 1 : 0) : m.Tril(unit ? -1 : 0);

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var gB = global::Nabla.Linalg.TriangularSolveLeft(x[0].T, gy, !upper, unit);
        return [needs[0] ? -Triangle(gB.MatMul(y.T)) : null, needs[1] ? gB : null];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        var rhs = SumTangents(dx[1], dx[0] is null ? null : -Triangle(dx[0]!).MatMul(y));
        return rhs is null ? null : global::Nabla.Linalg.TriangularSolveLeft(x[0], rhs, upper, unit);
    }

    public override RefArray Reference(RefArray[] x)
    {
        var (count, n, k) = LinearSolve.Sizes(x[0].Shape, x[1].Shape);
        var xs = new RefArray((double[])x[1].Data.Clone(), x[1].Shape);
        for (int i = 0; i < count; i++) SolveOne(x[0].Data, xs.Data, i, n, k, upper, unit);
        return xs;
    }

    /// <summary>Solves matrix <paramref name="i"/> of the batch in place in <paramref name="b"/> (row-major data).</summary>
    public static void SolveOne(double[] a, double[] b, int i, int n, int k, bool upper, bool unit) =>
        DenseMatrix.TriangularSolve(a.AsSpan(i * n * n, n * n), n, b.AsSpan(i * n * k, n * k), k, upper, unit);
}
