namespace Nabla.NN;

/// <summary>Adaptive 1-d average pooling (torch.nn.AdaptiveAvgPool1d) to a fixed length. See <see cref="Functional.AdaptiveAvgPool1d"/>.</summary>
public sealed class AdaptiveAvgPool1d(int outputSize) : Module
{
    /// <summary>Output length.</summary>
    public int OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.AdaptiveAvgPool1d(x, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"output_size={OutputSize}";
}

/// <summary>
/// Adaptive 2-d average pooling (torch.nn.AdaptiveAvgPool2d) to a fixed (H, W); a null size keeps that
/// dim. <c>new AdaptiveAvgPool2d(1)</c> is a global average pool. See <see cref="Functional.AdaptiveAvgPool2d(Tensor, ValueTuple{int?, int?})"/>.
/// </summary>
public sealed class AdaptiveAvgPool2d((int? H, int? W) outputSize) : Module
{
    /// <summary>A square output size.</summary>
    public AdaptiveAvgPool2d(int outputSize) : this((outputSize, outputSize)) { }

    /// <summary>Output size (null keeps the input's size in that dim).</summary>
    public (int? H, int? W) OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.AdaptiveAvgPool2d(x, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"output_size={AdaptiveSize.Format(OutputSize)}";
}

/// <summary>Adaptive 1-d max pooling (torch.nn.AdaptiveMaxPool1d). See <see cref="Functional.AdaptiveMaxPool1d"/>.</summary>
public sealed class AdaptiveMaxPool1d(int outputSize) : Module
{
    /// <summary>Output length.</summary>
    public int OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.AdaptiveMaxPool1d(x, OutputSize);

    /// <summary>The pooled values and the argmax positions along L (int64), as torch's return_indices.</summary>
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor x) => Functional.AdaptiveMaxPool1dWithIndices(x, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"output_size={OutputSize}";
}

/// <summary>Adaptive 2-d max pooling (torch.nn.AdaptiveMaxPool2d); a null size keeps that dim. See <see cref="Functional.AdaptiveMaxPool2d(Tensor, ValueTuple{int?, int?})"/>.</summary>
public sealed class AdaptiveMaxPool2d((int? H, int? W) outputSize) : Module
{
    /// <summary>A square output size.</summary>
    public AdaptiveMaxPool2d(int outputSize) : this((outputSize, outputSize)) { }

    /// <summary>Output size (null keeps the input's size in that dim).</summary>
    public (int? H, int? W) OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.AdaptiveMaxPool2d(x, OutputSize);

    /// <summary>The pooled values and the flat argmax positions in each H·W plane (int64), as torch's return_indices.</summary>
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor x) => Functional.AdaptiveMaxPool2dWithIndices(x, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"output_size={AdaptiveSize.Format(OutputSize)}";
}

internal static class AdaptiveSize
{
    /// <summary>PyTorch's summary form: <c>(2, None)</c>, or <c>3</c> when both are the same number.</summary>
    public static string Format((int? H, int? W) s) =>
        s.H is int h && s.W == h ? $"{h}" : $"({s.H?.ToString() ?? "None"}, {s.W?.ToString() ?? "None"})";
}
