using Nabla.Engine;
using Nabla.Primitives.Linalg;

namespace Nabla;

/// <summary>
/// Linear algebra on matrices and batches of them, as torch.linalg: every function takes a matrix [n, n] or a batch
/// [..., n, n] (batch dims broadcast where PyTorch's do), float32 or float64 (float32 is factored in double
/// precision and rounded once), and is differentiable in reverse and forward mode to any order: the derivative rules
/// are written with these same functions. A matrix the operation cannot handle (a singular one for
/// <see cref="Solve"/>/<see cref="Inv"/>, one that is not positive-definite for <see cref="Cholesky"/>) is an
/// <see cref="ArgumentException"/> naming the operation and the batch index of the first such matrix, as PyTorch's
/// LinAlgError; inside a compiled function the check runs on every call.
/// </summary>
/// <example><code>
/// var a = Tensor.FromArray(new double[,] { { 3, 1 }, { 1, 2 } });
/// var x = Linalg.Solve(a, Tensor.FromArray(new double[] { 9, 8 }));   // [2, 3]
/// var (sign, logAbsDet) = Linalg.SlogDet(a);                           // 1, log 5
/// </code></example>
public static partial class Linalg
{
    /// <summary>
    /// The solution X of A·X = B (torch.linalg.solve), or of X·A = B with <paramref name="left"/> = false, for a square
    /// invertible <paramref name="a"/> [..., n, n], by LU with partial pivoting. <paramref name="b"/> is a batch of vectors
    /// [..., n] when it is 1-d or has exactly A's shape without the last dim (PyTorch's rule), else a batch of matrices
    /// [..., n, k] ([..., k, n] for left = false); batch dims broadcast, and X has B's shape after broadcasting.
    /// A singular A throws (naming the batch index); NaN in A or B gives NaN. Gradients: gB = A⁻ᵀ·gX, gA = −gB·Xᵀ.
    /// </summary>
    /// <example><code>
    /// var x = Linalg.Solve(a, b);   // a.MatMul(x) ≈ b; faster and more accurate than Linalg.Inv(a).MatMul(b)
    /// </code></example>
    public static Tensor Solve(Tensor a, Tensor b, bool left = true)
    {
        const string op = "Solve";
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        CheckSquare(op, a);
        CheckOperand(op, a, b);
        bool vector = b.Rank == 1 || (b.Rank == a.Rank - 1 && b.Shape.Span.SequenceEqual(a.Shape.Span[..^1]));
        if (!left) a = a.T;   // X·A = B  ⇔  Aᵀ·Xᵀ = Bᵀ
        if (vector) return SolveBroadcast(op, a, b.Unsqueeze(-1)).Squeeze(-1);
        return left ? SolveBroadcast(op, a, b) : SolveBroadcast(op, a, b.T).T;
    }

    /// <summary>
    /// The inverse A⁻¹ of each matrix of <paramref name="a"/> [..., n, n] (torch.linalg.inv), by LU with partial pivoting:
    /// A⁻¹·A = I. A singular matrix throws (naming its batch index); prefer <see cref="Solve"/> to multiplying by the
    /// inverse. Gradient: gA = −A⁻ᵀ·gY·A⁻ᵀ.
    /// </summary>
    public static Tensor Inv(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        CheckSquare("Inv", a);
        return InvOf(a, "Inv");
    }

    /// <summary>A⁻¹ (A checked square and floating), solved against the identity; <paramref name="op"/> names a singular A.</summary>
    internal static Tensor InvOf(Tensor a, string op)
    {
        var eye = Tensor.Eye(a.Shape[^1], a.DType, a.Device).BroadcastTo(a.Shape.ToArray());
        return SolveMatrices(a, eye, op);
    }

    /// <summary>Solve with B a batch of matrices [..., n, k] whose batch dims broadcast with A's.</summary>
    static Tensor SolveBroadcast(string op, Tensor a, Tensor b)
    {
        if (b.Rank < 2 || b.Shape[^2] != a.Shape[^1])
            throw Errors.Arg(op, $"B must have {a.Shape[^1]} rows to match A {Errors.Describe(a)}, got B {Errors.Describe(b)}.");
        var (ba, bb) = BroadcastBatch(op, a, b);
        return SolveMatrices(ba, bb, op);
    }

    /// <summary>
    /// X = A⁻¹·B for A [..., n, n] and B [..., n, k] of equal batch dims and dtype (the derivative rules call this);
    /// a singular A is an error naming <paramref name="op"/>.
    /// </summary>
    internal static Tensor SolveMatrices(Tensor a, Tensor b, string op)
    {
        var ys = Dispatch.CallMany(new LinearSolve(op), a, b);
        Dispatch.Check(ys[1], new FactorizationCheck(op,
            "is singular (LU found a zero pivot in column {0}), so the system has no unique solution. Check it for " +
            "linearly dependent rows or columns; to regularize, add a small multiple of the identity (A + εI)."));
        return ys[0];
    }
}
