namespace Nabla.NN;

/// <summary>torch.nn.PixelUnshuffle: [*, C, H·r, W·r] → [*, C·r², H, W] (see <see cref="Functional.PixelUnshuffle"/>).</summary>
public sealed class PixelUnshuffle(int downscaleFactor) : Module
{
    /// <summary>r, the factor each spatial dim shrinks by.</summary>
    public int DownscaleFactor { get; } = downscaleFactor;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.PixelUnshuffle(x, DownscaleFactor);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"downscale_factor={DownscaleFactor}";
}
