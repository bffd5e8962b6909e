using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Linalg;

/// <summary>
/// The inverse of a batch of upper triangular n×n matrices (the strictly lower part is not read), for the QR rules:
/// y = R⁻¹ ; dy = −y·triu(dR)·y ; gR = triu(−yᵀ·gy·yᵀ). A zero on the diagonal gives infinities (as a division by zero).
/// </summary>
internal sealed class TriangularInverse(int n) : Primitive
{
    public override string Name => "triangular_inverse";
    public override bool MayFailInReplay => false;
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    /// <summary>R⁻¹ of the upper triangle of the [..., n, n] <paramref name="r"/>.</summary>
    public static Tensor Of(Tensor r) => Dispatch.Call(new TriangularInverse(r.Shape[-1]), r);

    public int Size => n;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [(-y.T.MatMul(gy).MatMul(y.T)).Triu()];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => dx[0] is { } dr ? -y.MatMul(dr.Triu()).MatMul(y) : null;

    /// <summary>Back substitution, column by column: R·y = I.</summary>
    public void Invert(ReadOnlySpan<double> r, Span<double> y)
    {
        y[..(n * n)].Clear();
        for (int j = 0; j < n; j++)
            for (int i = j; i >= 0; i--)
            {
                double sum = i == j ? 1 : 0;
                for (int k = i + 1; k <= j; k++) sum -= r[i * n + k] * y[k * n + j];
                y[i * n + j] = sum / r[i * n + i];
            }
    }

    public override RefArray Reference(RefArray[] x) => MatrixBatches.Reference(x[0], [n, n], Invert);
}
