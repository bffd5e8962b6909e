using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>The outer product of two vectors (torch.outer): result[i, j] = this[i]·<paramref name="other"/>[j].</summary>
    public Tensor Outer(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Rank != 1 || other.Rank != 1)
            throw Errors.Arg("Outer", $"needs two vectors, got {Errors.Describe(this)} and {Errors.Describe(other)}.");
        return Unsqueeze(1) * other.Unsqueeze(0);
    }

    /// <summary>
    /// Batched matrix product of [b, n, m] and [b, m, p] (torch.bmm): no broadcasting, unlike <see cref="MatMul"/>, so a
    /// batch mismatch is an error.
    /// </summary>
    public Tensor Bmm(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Rank != 3 || other.Rank != 3 || Shape[0] != other.Shape[0] || Shape[2] != other.Shape[1])
            throw Errors.Arg("Bmm", $"needs [b, n, m] and [b, m, p], got {Errors.Describe(this)} and {Errors.Describe(other)}.");
        return MatMul(other);
    }

    /// <summary>
    /// β·input + α·(mat1 @ mat2) for matrices (torch.addmm); input broadcasts to the product's shape. With β = 0 the input
    /// is not read (NaN in it does not spread), as PyTorch; then no gradient reaches it (PyTorch gives it zeros).
    /// </summary>
    public static Tensor AddMm(Tensor input, Tensor mat1, Tensor mat2, double beta = 1, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(mat1);
        if (mat1.Rank != 2 || mat2.Rank != 2)
            throw Errors.Arg("AddMm", $"mat1 and mat2 must be matrices, got {Errors.Describe(mat1)} and {Errors.Describe(mat2)}.");
        return Scaled("AddMm", input, mat1.MatMul(mat2), beta, alpha);
    }

    /// <summary>β·input + α·(batch1 @ batch2) for batches of matrices (torch.baddbmm); see <see cref="AddMm"/> and <see cref="Bmm"/>.</summary>
    public static Tensor BaddBmm(Tensor input, Tensor batch1, Tensor batch2, double beta = 1, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(batch1);
        return Scaled("BaddBmm", input, batch1.Bmm(batch2), beta, alpha);
    }

    static Tensor Scaled(string op, Tensor input, Tensor product, double beta, double alpha)
    {
        ArgumentNullException.ThrowIfNull(input);
        var scaled = alpha == 1 ? product : product * alpha;
        var shape = BroadcastShapes(op, input.Shape, product.Shape);
        if (!shape.AsSpan().SequenceEqual(product.Shape.Span))
            throw Errors.Arg(op, $"input {Errors.Describe(input)} must broadcast to the product's shape {product.Shape}.");
        if (beta == 0) return scaled;   // input not read: no NaN from it, and no gradient reaches it
        return (beta == 1 ? input : input * beta) + scaled;
    }

    /// <summary>
    /// The sum of products over the last <paramref name="dims"/> dims of this tensor and the first <paramref name="dims"/>
    /// of <paramref name="other"/> (torch.tensordot with an int), contracted through one matrix product.
    /// </summary>
    public Tensor Tensordot(Tensor other, int dims = 2)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (dims < 0 || dims > Rank || dims > other.Rank)
            throw Errors.Arg("Tensordot", $"dims = {dims} does not fit {Errors.Describe(this)} and {Errors.Describe(other)}.");
        return Tensordot(other, [.. Enumerable.Range(Rank - dims, dims)], [.. Enumerable.Range(0, dims)]);
    }

    /// <summary>
    /// The sum of products over this tensor's dims <paramref name="dimsA"/> paired with <paramref name="other"/>'s
    /// <paramref name="dimsB"/> (torch.tensordot with two lists); the result has this tensor's other dims, then other's.
    /// </summary>
    public Tensor Tensordot(Tensor other, int[] dimsA, int[] dimsB)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (dimsA.Length != dimsB.Length)
            throw Errors.Arg("Tensordot", $"{dimsA.Length} dims of the first tensor paired with {dimsB.Length} of the second; pair them one to one.");
        var a = dimsA.Select(d => NormalizeDim("Tensordot", d)).ToArray();
        var b = dimsB.Select(d => other.NormalizeDim("Tensordot", d)).ToArray();
        for (int i = 0; i < a.Length; i++)
            if (Shape[a[i]] != other.Shape[b[i]])
                throw Errors.Arg("Tensordot", $"dim {a[i]} of {Errors.Describe(this)} (size {Shape[a[i]]}) is paired with dim {b[i]} of {Errors.Describe(other)} (size {other.Shape[b[i]]}).");
        var freeA = Enumerable.Range(0, Rank).Where(d => !a.Contains(d)).ToArray();
        var freeB = Enumerable.Range(0, other.Rank).Where(d => !b.Contains(d)).ToArray();
        int k = a.Aggregate(1, (p, d) => p * Shape[d]);
        int m = freeA.Aggregate(1, (p, d) => p * Shape[d]), n = freeB.Aggregate(1, (p, d) => p * other.Shape[d]);
        var left = (Rank == 0 ? this : Permute([.. freeA, .. a])).Reshape(m, k);
        var right = (other.Rank == 0 ? other : other.Permute([.. b, .. freeB])).Reshape(k, n);
        return left.MatMul(right).Reshape([.. freeA.Select(d => Shape[d]), .. freeB.Select(d => other.Shape[d])]);
    }

    /// <summary>
    /// The Kronecker product (torch.kron): blocks this[i]·<paramref name="other"/>; the tensor of lower rank gets leading
    /// dims of size 1, so [a0, a1] ⊗ [b0, b1] is [a0·b0, a1·b1].
    /// </summary>
    public Tensor Kron(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        int rank = Math.Max(Rank, other.Rank);
        var a = Reshape([.. Enumerable.Repeat(1, rank - Rank), .. Shape.ToArray()]);
        var b = other.Reshape([.. Enumerable.Repeat(1, rank - other.Rank), .. other.Shape.ToArray()]);
        var spreadA = new int[2 * rank];
        var spreadB = new int[2 * rank];
        var result = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            (spreadA[2 * d], spreadA[2 * d + 1]) = (a.Shape[d], 1);
            (spreadB[2 * d], spreadB[2 * d + 1]) = (1, b.Shape[d]);
            result[d] = a.Shape[d] * b.Shape[d];
        }
        return (a.Reshape(spreadA) * b.Reshape(spreadB)).Reshape(result);
    }
}
