namespace Nabla.Primitives.Linalg;

/// <summary>
/// The decompositions (QR, eigh, SVD) are one primitive each whose single output packs all their results, flattened and
/// laid end to end along the last dim: [..., |Q| + |R|]. One output keeps them ordinary one-output primitives (one node,
/// one saved output, replay, forward mode and higher orders with no special case), and the rules see every result's
/// cotangent at once (the cotangents of results the caller never used arrive as zeros). The front end splits the
/// output into views. A piece is a matrix (rows×cols) or a vector (<see cref="Vector"/>).
/// </summary>
internal readonly record struct Piece(int Rows, int Cols, bool IsVector = false)
{
    public int Size => IsVector ? Rows : Rows * Cols;

    public static Piece Vector(int length) => new(length, 1, IsVector: true);

    /// <summary>The length of the packed last dim.</summary>
    public static int Total(Piece[] pieces) => pieces.Sum(p => p.Size);

    /// <summary>Views of the pieces of a packed [..., total] tensor: [..., rows, cols] matrices and [..., rows] vectors.</summary>
    public static Tensor[] Split(Tensor packed, Piece[] pieces)
    {
        var batch = packed.Shape.ToArray()[..^1];
        var result = new Tensor[pieces.Length];
        int offset = 0;
        for (int i = 0; i < pieces.Length; i++)
        {
            var p = pieces[i];
            var flat = packed.Narrow(-1, offset, p.Size);
            result[i] = p.IsVector ? flat : flat.Reshape([.. batch, p.Rows, p.Cols]);
            offset += p.Size;
        }
        return result;
    }

    /// <summary>The parts (batch dims <paramref name="batch"/>, shaped as <paramref name="pieces"/>) packed along a last dim, in order.</summary>
    public static Tensor Join(int[] batch, Piece[] pieces, params Tensor[] parts) =>
        Tensor.Concat(parts.Select((t, i) => t.Reshape([.. batch, pieces[i].Size])).ToArray(), dim: -1);
}
