using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// The lower triangle of the last two dims (torch.tril): elements with column - row &lt;= <paramref name="diagonal"/>
    /// kept, the others 0 (diagonal &gt; 0 keeps diagonals above the main one, &lt; 0 drops some below). Batches of
    /// matrices work; the gradient is masked the same way.
    /// </summary>
    public Tensor Tril(int diagonal = 0) => Triangle("Tril", diagonal, lower: true);

    /// <summary>The upper triangle of the last two dims (torch.triu): elements with column - row &gt;= <paramref name="diagonal"/> kept.</summary>
    public Tensor Triu(int diagonal = 0) => Triangle("Triu", diagonal, lower: false);

    Tensor Triangle(string op, int diagonal, bool lower)
    {
        if (Rank < 2) throw Errors.Arg(op, $"needs a matrix or a batch of them (2 or more dims), got {Errors.Describe(this)}.");
        var rows = Arange(Shape[^2], device: Device).Unsqueeze(1);
        var columns = Arange(Shape[^1], device: Device).Unsqueeze(0);
        var offset = columns - rows;
        var keep = lower ? offset.Le((long)diagonal) : offset.Ge((long)diagonal);
        return Where(keep, this, Full([], 0, DType, device: Device));
    }

    /// <summary>
    /// torch.diag: of a vector, the square matrix with it on diagonal <paramref name="diagonal"/> (zeros elsewhere); of a
    /// matrix, a copy of that diagonal as a vector. Use <see cref="Diagonal"/> for a view, <see cref="DiagEmbed"/> for batches.
    /// </summary>
    public Tensor Diag(int diagonal = 0) => Rank switch
    {
        1 => DiagEmbed(diagonal),
        2 => Diagonal(diagonal).Clone(),
        _ => throw Errors.Arg("Diag", $"needs a vector or a matrix, got {Errors.Describe(this)}; use DiagEmbed or Diagonal for batches."),
    };

    /// <summary>
    /// Matrices whose diagonal <paramref name="offset"/> holds the last dim of this tensor (torch.diag_embed): a [..., n]
    /// tensor gives [..., n + |offset|, n + |offset|] with the new dims at <paramref name="dim1"/> and <paramref name="dim2"/>
    /// of the result (the last two by default), zeros elsewhere.
    /// </summary>
    public Tensor DiagEmbed(int offset = 0, int dim1 = -2, int dim2 = -1)
    {
        if (Rank == 0) throw Errors.Arg("DiagEmbed", $"needs at least 1 dim, got {Errors.Describe(this)}.");
        int n = Shape[^1], m = n + Math.Abs(offset);
        int rank = Rank + 1;
        int d1 = dim1 < 0 ? dim1 + rank : dim1, d2 = dim2 < 0 ? dim2 + rank : dim2;
        if (d1 < 0 || d1 >= rank || d2 < 0 || d2 >= rank || d1 == d2)
            throw Errors.Arg("DiagEmbed", $"dim1 {dim1} and dim2 {dim2} must be two different dims of the rank-{rank} result.");
        // Row i holds x_i at column i + offset (offset >= 0); column j holds x_j at row j - offset (offset < 0).
        var padding = new int[2 * Rank];
        padding[1] = Math.Abs(offset);
        var padded = Pad(padding);
        var values = offset >= 0 ? padded.Unsqueeze(-1) : padded.Unsqueeze(-2);
        var rows = Arange(m, device: Device).Unsqueeze(1);
        var columns = Arange(m, device: Device).Unsqueeze(0);
        var square = Where((columns - rows).Eq((long)offset), values, Full([], 0, DType, device: Device));
        return d1 == rank - 2 && d2 == rank - 1 ? square : square.MoveDim([rank - 2, rank - 1], [d1, d2]);
    }

    /// <summary>The sum of the main diagonal of a matrix (torch.trace). Integers sum in int64.</summary>
    public Tensor Trace()
    {
        if (Rank != 2) throw Errors.Arg("Trace", $"needs a matrix, got {Errors.Describe(this)}.");
        return Diagonal().Sum();
    }
}
