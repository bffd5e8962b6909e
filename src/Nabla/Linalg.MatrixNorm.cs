using Nabla.Engine;

namespace Nabla;

public static partial class Linalg
{
    /// <summary>
    /// The Frobenius (default) or nuclear norm of each matrix over <paramref name="dims"/> (the last two by default), as
    /// torch.linalg.matrix_norm(A, ord="fro" / "nuc", dim, keepdim): the two dims are reduced (kept as size 1 with
    /// <paramref name="keepDim"/>), other dims are batch dims. Frobenius is √(Σ|a|²) (its gradient at the zero matrix is
    /// 0, as PyTorch's); nuclear is the sum of the singular values (<see cref="SvdVals"/>, whose gradient U·Vh is taken
    /// with repeated singular values too). Needs a floating tensor; NaN gives NaN.
    /// </summary>
    /// <example><code>
    /// Linalg.MatrixNorm(Tensor.FromArray(new double[,] { { 3, 0 }, { 0, 4 } }));                          // 5
    /// Linalg.MatrixNorm(Tensor.FromArray(new double[,] { { 3, 0 }, { 0, 4 } }), MatrixNormKind.Nuclear);   // 7
    /// </code></example>
    public static Tensor MatrixNorm(Tensor a, MatrixNormKind kind = MatrixNormKind.Frobenius, (int, int)? dims = null, bool keepDim = false)
    {
        const string op = "MatrixNorm";
        var (d0, d1) = MatrixDims(op, a, dims);
        return kind switch
        {
            MatrixNormKind.Frobenius => a.Norm(2, [d0, d1], keepDim),
            MatrixNormKind.Nuclear => Kept(SvdVals(a.MoveDim([d0, d1], [-2, -1])).Sum(-1), d0, d1, keepDim),
            _ => throw Errors.Arg(op, $"{(int)kind} is not a MatrixNormKind."),
        };
    }

    /// <summary>
    /// The matrix norm of order <paramref name="ord"/> of each matrix over <paramref name="dims"/> (the last two by default),
    /// as torch.linalg.matrix_norm(A, ord, dim, keepdim): 1 / −1 is the largest / smallest column sum of |a|, ∞ / −∞ the
    /// largest / smallest row sum, 2 / −2 the largest / smallest singular value (<see cref="SvdVals"/>). Gradients are
    /// PyTorch's: |a|'s is sign(a) (0 at 0) and tied largest (smallest) sums share it evenly. Other orders are an error
    /// (use <see cref="MatrixNorm(Tensor, MatrixNormKind, ValueTuple{int, int}?, bool)"/> for Frobenius and nuclear).
    /// Needs a floating tensor; NaN gives NaN.
    /// </summary>
    /// <example><code>
    /// var a = Tensor.FromArray(new double[,] { { 1, -2 }, { 3, 4 } });
    /// Linalg.MatrixNorm(a, 1);                        // 6: column sums 4 and 6
    /// Linalg.MatrixNorm(a, double.PositiveInfinity);  // 7: row sums 3 and 7
    /// </code></example>
    public static Tensor MatrixNorm(Tensor a, double ord, (int, int)? dims = null, bool keepDim = false)
    {
        const string op = "MatrixNorm";
        var (d0, d1) = MatrixDims(op, a, dims);
        var m = a.MoveDim([d0, d1], [-2, -1]);
        Tensor norm = ord switch
        {
            1 => m.Abs().Sum(-2).AMax(-1),
            -1 => m.Abs().Sum(-2).AMin(-1),
            double.PositiveInfinity => m.Abs().Sum(-1).AMax(-1),
            double.NegativeInfinity => m.Abs().Sum(-1).AMin(-1),
            2 or -2 when Math.Min(m.Shape[-2], m.Shape[-1]) == 0 =>
                throw Errors.Arg(op, $"the {ord}-norm of empty matrices ({Errors.Describe(a)}) has no value."),
            2 => SvdVals(m).Narrow(-1, 0, 1).Squeeze(-1),
            -2 => SvdVals(m).Narrow(-1, -1, 1).Squeeze(-1),
            _ => throw Errors.Arg(op, $"order {ord} is not a matrix norm; use 1, -1, 2, -2, ±infinity, or MatrixNormKind.Frobenius / Nuclear."),
        };
        return Kept(norm, d0, d1, keepDim);
    }

    /// <summary>The two distinct dims (normalized) a matrix norm reduces.</summary>
    static (int, int) MatrixDims(string op, Tensor a, (int, int)? dims)
    {
        CheckMatrices(op, a);
        var (d0, d1) = dims ?? (-2, -1);
        int r = a.Rank;
        if (d0 < -r || d0 >= r || d1 < -r || d1 >= r)
            throw Errors.Arg(op, $"dims ({d0}, {d1}) are out of range for {Errors.Describe(a)}.");
        (d0, d1) = (d0 < 0 ? d0 + r : d0, d1 < 0 ? d1 + r : d1);
        if (d0 == d1) throw Errors.Arg(op, $"dims ({d0}, {d1}) must be two different dims.");
        return (d0, d1);
    }

    /// <summary>With <paramref name="keepDim"/>, the reduced dims put back as size 1.</summary>
    static Tensor Kept(Tensor norm, int d0, int d1, bool keepDim) =>
        keepDim ? norm.Unsqueeze(Math.Min(d0, d1)).Unsqueeze(Math.Max(d0, d1)) : norm;
}
