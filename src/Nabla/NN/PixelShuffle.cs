namespace Nabla.NN;

/// <summary>torch.nn.PixelShuffle: [*, C·r², H, W] → [*, C, H·r, W·r] (see <see cref="Functional.PixelShuffle"/>).</summary>
public sealed class PixelShuffle(int upscaleFactor) : Module
{
    /// <summary>r, the factor each spatial dim grows by.</summary>
    public int UpscaleFactor { get; } = upscaleFactor;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.PixelShuffle(x, UpscaleFactor);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"upscale_factor={UpscaleFactor}";
}
