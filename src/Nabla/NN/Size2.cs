namespace Nabla.NN;

/// <summary>
/// A (height, width) pair for kernel sizes, strides, padding and dilation, as PyTorch's int-or-tuple
/// arguments: an <c>int</c> converts to the same value twice, a tuple <c>(h, w)</c> to itself.
/// </summary>
/// <example><code>
/// var conv = new Conv2d(3, 8, kernelSize: 3, stride: 2, padding: (1, 2));
/// </code></example>
/// <param name="H">The size along the height (rows).</param>
/// <param name="W">The size along the width (columns).</param>
public readonly record struct Size2(int H, int W)
{
    /// <summary>The same value for height and width.</summary>
    public static implicit operator Size2(int value) => new(value, value);

    /// <summary>A (height, width) tuple.</summary>
    public static implicit operator Size2((int H, int W) value) => new(value.H, value.W);

    /// <summary>Prints <c>3</c> when both are equal, else <c>(3, 5)</c>, as PyTorch's module summaries.</summary>
    public override string ToString() => H == W ? $"{H}" : $"({H}, {W})";
}
