namespace Nabla.NN;

/// <summary>Softmax along a dim (torch.nn.Softmax), computed stably.</summary>
public sealed class Softmax(int dim) : Module
{
    /// <summary>The dim normalized over.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Softmax(x, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"dim={Dim}";
}
