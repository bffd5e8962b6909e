namespace Nabla.NN;

/// <summary>
/// torch.nn.Identity: returns its input itself (the same tensor object). Any constructor arguments are ignored, as
/// PyTorch does, so it can stand in for a layer without changing the call that builds it.
/// </summary>
public sealed class Identity : Module
{
    /// <summary>An identity layer; <paramref name="ignored"/> is accepted and unused.</summary>
    public Identity(params object?[] ignored) { }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x;
}
