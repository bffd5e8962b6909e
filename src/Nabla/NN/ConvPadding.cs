namespace Nabla.NN;

/// <summary>
/// PyTorch's string paddings of a convolution (<c>padding='valid'</c> / <c>'same'</c>), for stride 1.
/// A struct rather than an enum so that <c>padding: 0</c> still means zero padding in numbers (a literal
/// 0 would convert to any enum and make such calls ambiguous).
/// </summary>
/// <example><code>
/// var conv = new Conv2d(3, 8, kernelSize: 4, padding: ConvPadding.Same);   // keeps H and W
/// </code></example>
public readonly record struct ConvPadding
{
    ConvPadding(bool same) => IsSame = same;

    /// <summary>No padding (PyTorch's 'valid'): the same as padding 0.</summary>
    public static ConvPadding Valid => new(false);

    /// <summary>
    /// Zero padding that keeps every spatial size (PyTorch's 'same', stride 1 only): dilation·(k - 1) in all
    /// per dim, half of it before, the rest (one more when odd) after, as PyTorch.
    /// </summary>
    public static ConvPadding Same => new(true);

    /// <summary>Whether this is <see cref="Same"/>.</summary>
    public bool IsSame { get; }

    /// <summary><c>same</c> or <c>valid</c>, as PyTorch's module summaries.</summary>
    public override string ToString() => IsSame ? "same" : "valid";
}
