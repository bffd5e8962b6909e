namespace Nabla.NN;

/// <summary>
/// A (depth, height, width) triple for 3-d kernel sizes, strides, padding and dilation, as PyTorch's
/// int-or-tuple arguments: an <c>int</c> converts to the same value three times, a tuple <c>(d, h, w)</c> to itself.
/// </summary>
/// <example><code>
/// var conv = new Conv3d(1, 8, kernelSize: 3, padding: (0, 1, 1));
/// </code></example>
/// <param name="D">The size along the depth.</param>
/// <param name="H">The size along the height (rows).</param>
/// <param name="W">The size along the width (columns).</param>
public readonly record struct Size3(int D, int H, int W)
{
    /// <summary>The same value for depth, height and width.</summary>
    public static implicit operator Size3(int value) => new(value, value, value);

    /// <summary>A (depth, height, width) tuple.</summary>
    public static implicit operator Size3((int D, int H, int W) value) => new(value.D, value.H, value.W);

    /// <summary>Prints <c>3</c> when all are equal, else <c>(1, 3, 3)</c>, as PyTorch's module summaries.</summary>
    public override string ToString() => D == H && H == W ? $"{D}" : $"({D}, {H}, {W})";
}
