namespace Nabla.NN;

/// <summary>Merges dims <c>startDim..endDim</c> into one (torch.nn.Flatten: by default all but the batch dim).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>First dim to merge.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>Last dim to merge (inclusive; negative counts from the end).</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Flatten(x, StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"start_dim={StartDim}, end_dim={EndDim}";
}
