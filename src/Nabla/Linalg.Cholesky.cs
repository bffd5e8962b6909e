using Nabla.Engine;
using Nabla.Primitives.Linalg;

namespace Nabla;

public static partial class Linalg
{
    /// <summary>
    /// The Cholesky factor of each symmetric positive-definite matrix of <paramref name="a"/> [..., n, n]
    /// (torch.linalg.cholesky): L lower triangular with a positive diagonal and A = L·Lᵀ, or with
    /// <paramref name="upper"/> U = Lᵀ (A = Uᵀ·U). Only A's lower triangle is read, its upper one with
    /// <paramref name="upper"/> (A is taken as symmetric, as LAPACK's potrf that PyTorch calls); a matrix
    /// that is not positive-definite throws, naming its batch index and the order of the failing leading minor
    /// (NaN counts as not positive-definite). The gradient is PyTorch's symmetric one.
    /// </summary>
    public static Tensor Cholesky(Tensor a, bool upper = false)
    {
        const string op = "Cholesky";
        ArgumentNullException.ThrowIfNull(a);
        CheckSquare(op, a);
        // upper: U = Lᵀ of Aᵀ, so U comes from A's upper triangle as LAPACK's uplo = 'U' that PyTorch calls.
        var ys = Dispatch.CallMany(new CholeskyFactor(), upper ? a.T : a);
        Dispatch.Check(ys[1], new FactorizationCheck(op,
            "is not positive-definite (its leading minor of order {0} is not); Cholesky needs a symmetric positive-definite " +
            $"matrix (for example Bᵀ·B + εI), and reads only its {(upper ? "upper" : "lower")} triangle."));
        return upper ? ys[0].T : ys[0];
    }

    /// <summary>
    /// The solution X of A·X = B (or X·A = B with <paramref name="left"/> = false) for a triangular
    /// <paramref name="a"/> [..., n, n] (torch.linalg.solve_triangular): only A's upper triangle (<paramref name="upper"/>)
    /// or lower triangle is read, and with <paramref name="unitriangular"/> its diagonal is taken as ones and not read.
    /// <paramref name="b"/> is [..., n, k] ([..., k, n] for left = false); batch dims broadcast. As PyTorch, a zero on the
    /// diagonal is not checked: X then holds inf/NaN. Gradients flow to B and to A's triangle that was read.
    /// </summary>
    public static Tensor SolveTriangular(Tensor a, Tensor b, bool upper, bool left = true, bool unitriangular = false)
    {
        const string op = "SolveTriangular";
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        CheckSquare(op, a);
        CheckOperand(op, a, b);
        if (b.Rank < 2)
            throw Errors.Arg(op, $"B must be a matrix or a batch of them (2 or more dims), got {Errors.Describe(b)}.");
        int n = a.Shape[^1];
        if ((left ? b.Shape[^2] : b.Shape[^1]) != n)
            throw Errors.Arg(op, $"B must have {n} {(left ? "rows" : "columns")} to match A {Errors.Describe(a)}, got B {Errors.Describe(b)}.");
        if (!left)   // X·A = B  ⇔  Aᵀ·Xᵀ = Bᵀ, and Aᵀ's triangle is the other one
        {
            var (ta, tb) = BroadcastBatch(op, a.T, b.T);
            return TriangularSolveLeft(ta, tb, !upper, unitriangular).T;
        }
        var (ba, bb) = BroadcastBatch(op, a, b);
        return TriangularSolveLeft(ba, bb, upper, unitriangular);
    }

    /// <summary>X = A⁻¹·B for triangular A [..., n, n] and B [..., n, k] of equal batch dims and dtype (the derivative rules call this).</summary>
    internal static Tensor TriangularSolveLeft(Tensor a, Tensor b, bool upper, bool unit) =>
        Dispatch.Call(new TriangularSolve(upper, unit), a, b);
}
